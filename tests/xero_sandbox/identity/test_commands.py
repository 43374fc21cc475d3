"""`manage.py xero_sandbox …`: the interfaces the demo, drills and other tests rely on."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from xero_sandbox import testing
from xero_sandbox.models import Account, Connection, DeveloperApp, Organisation, TaxRate
from xero_sandbox.services.tokens import access_token_decode

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("xero_sandbox", *args, stdout=out)
    return out.getvalue()


def test_create_app_prints_credentials_as_json():
    app = json.loads(
        _run(
            "create-app",
            "--name",
            "Shop",
            "--redirect-uri",
            "http://localhost/cb",
            "--webhook-url",
            "http://localhost/wh",
        )
    )
    stored = DeveloperApp.objects.get()
    assert (app["client_id"], app["client_secret"], app["webhook_key"]) == (
        stored.client_id,
        stored.client_secret,
        stored.webhook_key,
    )
    assert app["redirect_uris"] == ["http://localhost/cb"]
    assert len(app["client_id"]) == 32


def test_create_app_refuses_a_plain_http_redirect_outside_localhost_and_creates_nothing():
    with pytest.raises(CommandError, match="must use https"):
        _run("create-app", "--name", "Shop", "--redirect-uri", "http://shop.example.com/cb")
    assert DeveloperApp.objects.count() == 0


def test_create_org_prints_the_tenant_id_and_seeds_the_books():
    tenant = _run("create-org", "--name", "Acme Ltd").strip()
    organisation = Organisation.objects.get(tenant_id=tenant)
    assert organisation.name == "Acme Ltd"
    assert Account.objects.get(organisation=organisation, code="200").account_class == "REVENUE"
    assert TaxRate.objects.get(organisation=organisation, tax_type="OUTPUT2").rate == 20
    with pytest.raises(CommandError, match="already exists"):
        _run("create-org", "--name", "Acme Ltd")


def test_issue_token_prints_an_sdk_token_set_connected_to_the_tenant():
    client_id = json.loads(_run("create-app", "--name", "Shop", "--redirect-uri", "http://localhost/cb"))["client_id"]
    tenant = _run("create-org", "--name", "Acme Ltd").strip()
    token = json.loads(_run("issue-token", "--client-id", client_id, "--tenant", "Acme Ltd"))
    assert set(token) == {
        "access_token",
        "refresh_token",
        "id_token",
        "scope",
        "expires_in",
        "expires_at",
        "token_type",
    }
    assert isinstance(token["scope"], list)
    assert token["expires_in"] == 1800
    claims = access_token_decode(token["access_token"])
    connection = Connection.objects.get()
    assert (str(connection.organisation.tenant_id), str(connection.auth_event_id)) == (
        tenant,
        claims["authentication_event_id"],
    )
    with pytest.raises(CommandError, match="No sandbox organisation"):
        _run("issue-token", "--client-id", client_id, "--tenant", "Nobody Ltd")


def test_demo_is_idempotent_and_keeps_the_same_credentials():
    first = json.loads(_run("demo", "--redirect-uri", "http://127.0.0.1:8000/xero/callback/"))
    second = json.loads(_run("demo", "--redirect-uri", "http://127.0.0.1:8000/xero/callback/"))
    assert first == second
    assert first["name"] == "Channels Portal Demo"
    assert [o["name"] for o in first["organisations"]] == ["Demo Company (UK)", "Northwind Traders Ltd"]
    assert DeveloperApp.objects.count() == 1
    assert Organisation.objects.count() == 2
    demo = Organisation.objects.get(name="Demo Company (UK)")
    assert sorted(demo.items.values_list("code", flat=True)) == ["BOOK", "DevD", "GB1-White"]
    assert demo.contacts.count() == 3
    # The demo stores sell in EUR and USD: the demo company has them enabled besides GBP.
    assert sorted(demo.currencies.values_list("code", flat=True)) == ["EUR", "GBP", "USD"]
    # Like Xero's demo company, it tracks by "Region" (run twice: still one category, four options).
    assert [(c["Name"], [o["Name"] for o in c["Options"]]) for c in testing.tracking_categories(organisation=demo)] == [
        ("Region", ["Eastside", "North", "South", "West Coast"])
    ]
    northwind = Organisation.objects.get(name="Northwind Traders Ltd")
    assert list(northwind.currencies.values_list("code", flat=True)) == ["GBP"]
    assert testing.tracking_categories(organisation=northwind) == []


def test_faults_command_sets_and_clears_and_refuses_bad_shares_without_changing_anything():
    _run("create-org", "--name", "Acme Ltd")
    shown = json.loads(_run("faults", "--tenant", "Acme Ltd", "--503-share", "0.25", "--429-storm", "on"))
    assert (shown["fault_503_share"], shown["fault_429_storm"], shown["fault_latency_ms"]) == (0.25, True, 0)
    with pytest.raises(CommandError, match=r"less than or equal to 1\.0"):
        _run("faults", "--tenant", "Acme Ltd", "--clear", "--500-share", "1.5")
    stored = Organisation.objects.get(name="Acme Ltd")
    assert (stored.fault_503_share, stored.fault_429_storm, stored.fault_500_share) == (0.25, True, 0.0)
    cleared = json.loads(_run("faults", "--tenant", "Acme Ltd", "--clear"))
    assert set(cleared.values()) == {0, 0.0, False}


def test_revoke_and_mark_paid_commands():
    from xero_sandbox import testing
    from xero_sandbox.services.invoices import invoices_save

    app = testing.app_create()
    organisation = testing.organisation_create(name="Acme Ltd")
    testing.token_issue(app=app, organisations=[organisation])
    assert _run("revoke", "--tenant", "Acme Ltd").strip() == "1 connection(s) revoked."
    assert Connection.objects.count() == 0
    with pytest.raises(CommandError, match="No invoice 'INV-9'"):
        _run("mark-paid", "--tenant", "Acme Ltd", "--invoice-number", "INV-9")
    line = {"Description": "Mug", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}
    invoices_save(
        organisation=organisation,
        payloads=[{"Type": "ACCREC", "Contact": {"Name": "Jane"}, "Status": "AUTHORISED", "LineItems": [line]}],
        update=False,
    )
    assert _run("mark-paid", "--tenant", "Acme Ltd", "--invoice-number", "INV-0001").strip() == (
        "Invoice INV-0001 marked as paid."
    )
    assert [(i["Status"], i["AmountDue"]) for i in testing.invoices(organisation=organisation)] == [("PAID", 0.0)]
    with pytest.raises(CommandError, match="Only an AUTHORISED invoice"):
        _run("mark-paid", "--tenant", "Acme Ltd", "--invoice-number", "INV-0001")


def test_create_app_takes_a_tier_and_refuses_an_unknown_one():
    app = json.loads(_run("create-app", "--name", "Shop", "--redirect-uri", "http://localhost/cb", "--tier", "plus"))
    assert (app["tier"], DeveloperApp.objects.get().tier) == ("plus", "plus")
    default = json.loads(_run("create-app", "--name", "Other", "--redirect-uri", "http://localhost/cb"))
    assert default["tier"] == "starter"
    with pytest.raises(CommandError, match="invalid choice: 'gold'"):
        _run("create-app", "--name", "Gold", "--redirect-uri", "http://localhost/cb", "--tier", "gold")
    assert DeveloperApp.objects.count() == 2


def test_create_org_sets_high_volume_and_lock_date():
    import datetime as dt

    tenant = _run("create-org", "--name", "Big Books Ltd", "--high-volume", "--lock-date", "2026-03-31").strip()
    stored = Organisation.objects.get(tenant_id=tenant)
    assert (stored.high_volume, stored.lock_date) == (True, dt.date(2026, 3, 31))
    plain = Organisation.objects.get(tenant_id=_run("create-org", "--name", "Small Books Ltd").strip())
    assert (plain.high_volume, plain.lock_date) == (False, None)
    with pytest.raises(CommandError, match="'31/03/2026' is not a date"):
        _run("create-org", "--name", "Bad Date Ltd", "--lock-date", "31/03/2026")
    assert not Organisation.objects.filter(name="Bad Date Ltd").exists()


def test_demo_app_is_on_the_starter_tier_unless_told():
    first = json.loads(_run("demo", "--redirect-uri", "http://127.0.0.1:8000/xero/callback/"))
    assert first["tier"] == "starter"
    moved = json.loads(_run("demo", "--redirect-uri", "http://127.0.0.1:8000/xero/callback/", "--tier", "advanced"))
    assert (moved["client_id"], moved["tier"]) == (first["client_id"], "advanced")


def test_issue_token_refuses_past_the_connection_cap():
    from xero_sandbox import testing

    app = testing.app_create()
    for n in range(5):
        testing.token_issue(app=app, organisations=[testing.organisation_create(name=f"Books {n}")])
    _run("create-org", "--name", "Books 5")
    with pytest.raises(CommandError, match=r"reached its limit of 5 connected organisations \(Starter tier\)"):
        _run("issue-token", "--client-id", app.client_id, "--tenant", "Books 5")

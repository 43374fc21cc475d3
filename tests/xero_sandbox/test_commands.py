"""`manage.py xero_sandbox …`: the interfaces the demo, drills and other tests rely on."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

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

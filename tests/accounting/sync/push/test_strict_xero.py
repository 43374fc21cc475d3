"""Sending to a sandbox as strict as real Xero: URL length, high-volume organisations, granular
scopes, invoice numbers it already holds, and the day budget its headers report.

In-process turns over real HTTP through the official SDK; the sandbox's request log is read to
check what was actually sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.models import ConnectionState
from accounting.providers.xero.answers import scope_missing_message
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.mapping import contact_payload
from accounting.sync.models import AttemptOutcome, SyncState, XeroContactLink, XeroOrganisationFacts
from stores.services import invoice_create
from tests.accounting.sync.conftest import SandboxOrg, connect_channel
from tests.accounting.sync.turns import drain, row_of
from tests.factories import InvoiceFactory, StoreFactory
from tests.xero_requests import XERO_URL_LIMIT, logged_url_lengths
from xero_sandbox import testing
from xero_sandbox.models import Organisation, RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def long_email(n: int) -> str:
    return f"customer.with.a.rather.long.address.number.{n:03d}@accounts.example-merchant-domain.co.uk"


def api_requests(org: SandboxOrg, resource: str) -> list[RequestLog]:
    return list(
        RequestLog.objects.filter(organisation__tenant_id=org.tenant_id, path__endswith=f"/{resource}").order_by("pk")
    )


def customers_invoices(channel, count: int) -> list:
    return [
        InvoiceFactory.create(store=channel.store, customer_name=f"Customer {n:03d}", customer_email=long_email(n))
        for n in range(count)
    ]


def test_fifty_customers_with_long_emails_are_looked_up_within_the_url_budget(org, live_server):
    channel = connect_channel(org=org)
    invoices = customers_invoices(channel, 50)

    drain(channel)

    assert {row_of(channel, i).state for i in invoices} == {SyncState.SYNCED}
    contacts = api_requests(org, "Contacts")
    lookups = [r for r in contacts if r.method == "GET"]
    # An OR-joined where of 50 such addresses is about 5,000 characters: split, not refused.
    assert len(lookups) >= 3
    assert {r.status for r in lookups} == {200}
    longest, _request = logged_url_lengths(base_url=live_server.url)[0]
    assert 1800 < longest <= XERO_URL_LIMIT  # look-ups are packed up to the budget
    assert len(testing.contacts(organisation=org.tenant_id)) == 50


def test_a_404_on_a_look_up_is_not_read_as_not_found_and_is_not_retried(org, settings):
    # A Xero that refuses shorter URLs than the portal's budget: its 404 says nothing about the contacts.
    settings.XERO_SANDBOX_MAX_URL_LENGTH = 600
    channel = connect_channel(org=org)
    invoices = customers_invoices(channel, 20)

    drain(channel)

    rows = [row_of(channel, i) for i in invoices]
    assert {r.state for r in rows} == {SyncState.FAILED}
    assert {r.attempt_count for r in rows} == {1}
    assert rows[0].last_error == (
        "Xero refused the look-up itself (404); this says nothing about whether the records exist."
    )
    assert testing.contacts(organisation=org.tenant_id) == []  # nothing created on a false "not found"
    # Xero refuses a long URL before it reads who is asking: the log has no organisation for it.
    assert list(RequestLog.objects.filter(path__endswith="/Contacts").values_list("status", flat=True)) == [404]


def test_a_missing_scope_puts_the_channel_in_needs_reconnect_naming_it(sandbox, clean_redis):
    app = testing.app_create(name="App without contacts")
    organisation = testing.organisation_create(name="Scoped Books Ltd")
    token_set = testing.token_issue(
        app=app, organisations=[organisation], scopes=["offline_access", "accounting.invoices", "accounting.settings"]
    )
    org = SandboxOrg("Scoped Books Ltd", str(organisation.tenant_id), app.client_id, app.client_secret, token_set)
    channel = connect_channel(org=org)
    invoice = InvoiceFactory.create(store=channel.store)

    drain(channel)

    channel.refresh_from_db()
    assert channel.connection_state == ConnectionState.NEEDS_RECONNECT
    assert channel.state_reason == scope_missing_message("accounting.contacts")
    row = row_of(channel, invoice)
    assert (row.state, row.attempt_count) == (SyncState.PENDING, 1)
    # The 401 was not taken for an expired token: no refresh was asked for.
    assert not RequestLog.objects.filter(path__endswith="/connect/token").exists()


def test_a_high_volume_organisation_is_asked_narrowly_and_a_batch_costs_few_calls(org, live_server):
    Organisation.objects.filter(tenant_id=org.tenant_id).update(high_volume=True)
    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    client.contacts_create(
        contacts=[contact_payload(name="Customer 003", email=long_email(3)),
                  contact_payload(name="Customer 004", email="someone.else@example.com")],
        idempotency_key="seed-high-volume",
    )  # fmt: skip
    channel = connect_channel(org=org)
    invoices = customers_invoices(channel, 30)

    drain(channel)

    assert {row_of(channel, i).state for i in invoices} == {SyncState.SYNCED}
    assert XeroOrganisationFacts.objects.get(tenant_id=org.tenant_id).high_volume_since is not None
    names = {c["Name"]: c["EmailAddress"] for c in testing.contacts(organisation=org.tenant_id)}
    assert len(names) == 31  # 28 new, the existing Customer 003 adopted, Customer 004 disambiguated
    assert names[f"Customer 004 ({long_email(4)})"] == long_email(4)
    gets = [r for r in api_requests(org, "Contacts") if r.method == "GET"]
    # One refused OR-joined look-up, then one single-name look-up per clash (003, 004).
    assert [r.status for r in gets] == [400, 200, 200]
    assert all(" OR " not in r.query.replace("+", " ") for r in gets[1:])
    by_customer = dict(XeroContactLink.objects.filter(tenant_id=org.tenant_id).values_list("customer_key", "name"))
    assert len(by_customer) == 30
    # A few new customers later: no refused call again, one single-value e-mail look-up each,
    # and the one Xero already holds is used, whatever its name there.
    client.contacts_create(contacts=[contact_payload(name="L. One", email="later1@example.com")], idempotency_key="l1")
    more = [
        InvoiceFactory.create(store=channel.store, customer_name=f"Later {n}", customer_email=f"later{n}@example.com")
        for n in range(3)
    ]
    drain(channel)
    assert {row_of(channel, i).state for i in more} == {SyncState.SYNCED}
    later_gets = [r for r in api_requests(org, "Contacts") if r.method == "GET"][3:]
    assert [(r.status, "EmailAddress" in r.query) for r in later_gets] == [(200, True)] * 3
    by_number = {i["InvoiceNumber"]: i["Contact"]["Name"] for i in testing.invoices(organisation=org.tenant_id)}
    assert [by_number[i.number] for i in more] == ["Later 0", "L. One", "Later 2"]


def _held_by_another_tool(org: SandboxOrg, *, number: str, name: str, email: str, price: str) -> str:
    """Create invoice `number` in Xero as another tool would; return its InvoiceID."""
    from xero_python.accounting.models import Contact, Invoice, LineItem

    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    contact = client.contacts_create(contacts=[contact_payload(name=name, email=email)], idempotency_key=f"c-{number}")
    line = LineItem(description="Tea", quantity=1, unit_amount=float(price), account_code="200", tax_type="OUTPUT2")
    invoice = Invoice(
        type="ACCREC", invoice_number=number, contact=Contact(contact_id=contact[0].contact_id),
        line_items=[line], date=dt.date.today(), due_date=dt.date.today(), status="AUTHORISED",
    )  # fmt: skip
    return str(client.invoices_create(invoices=[invoice], idempotency_key=f"i-{number}")[0].invoice_id)


def _store_invoice(channel, *, number: str, name: str, email: str, price: str):
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal(price), "tax_rate": Decimal("20")}
    return invoice_create(
        store=channel.store, number=number, customer_name=name, customer_email=email,
        issue_date=dt.date.today(), due_date=dt.date.today(), lines=[line],
    )  # fmt: skip


def test_an_invoice_xero_already_holds_with_the_same_contact_and_total_is_adopted(org):
    held = _held_by_another_tool(org, number="A-100", name="Ada", email="ada@example.com", price="10.00")
    channel = connect_channel(org=org, account_nominal_code="200", invoice_status="AUTHORISED")
    invoice = _store_invoice(channel, number="A-100", name="Ada", email="ada@example.com", price="10.00")

    drain(channel)

    row = row_of(channel, invoice)
    assert (row.state, row.xero_id) == (SyncState.SYNCED, held)
    assert row.attempts.latest("created_at", "pk").outcome == AttemptOutcome.ADOPTED
    assert [i["InvoiceID"] for i in testing.invoices(organisation=org.tenant_id)] == [held]
    lookups = [r for r in api_requests(org, "Invoices") if r.method == "GET"]
    assert [("InvoiceNumbers=A-100" in r.query) for r in lookups] == [True]


def test_an_invoice_xero_already_holds_with_another_total_fails_showing_both_versions(org):
    _held_by_another_tool(org, number="A-101", name="Ada", email="ada@example.com", price="12.00")
    channel = connect_channel(org=org, account_nominal_code="200", invoice_status="AUTHORISED")
    invoice = _store_invoice(channel, number="A-101", name="Ada", email="ada@example.com", price="10.00")

    drain(channel)

    row = row_of(channel, invoice)
    assert row.state == SyncState.FAILED
    assert row.last_error == (
        "Xero already holds invoice A-101 for Ada, total 14.40 GBP; the store's is for Ada, total 12.00 GBP. "
        "Remove or renumber one of them in Xero (or change the channel's invoice number prefix), then retry."
    )
    assert len(testing.invoices(organisation=org.tenant_id)) == 1


def test_the_day_budget_comes_from_xeros_headers_and_is_shown_on_the_channel_page(org, member_client, organization):
    channel = connect_channel(org=org, store=StoreFactory.create(organization=organization))
    InvoiceFactory.create(store=channel.store)

    drain(channel)

    calls = RequestLog.objects.filter(organisation__tenant_id=org.tenant_id).count()
    facts = XeroOrganisationFacts.objects.get(tenant_id=org.tenant_id)
    assert (facts.day_limit, facts.day_remaining) == (1000, 1000 - calls)  # a Starter-tier app
    page = member_client.get(reverse("accounting:channel-detail", args=[channel.pk])).content.decode()
    assert f'<dd id="sync-day-budget">{1000 - calls} of 1000 ' in page


@pytest.mark.parametrize("status", [404, 409, 422])
def test_an_unknown_4xx_fails_the_row_at_once_with_xeros_words(status, organization):
    from accounting.providers.xero.errors import XeroError
    from accounting.sync.models import SyncRecord
    from accounting.sync.push.outcomes import after_error
    from tests.factories import AccountingChannelFactory

    channel = AccountingChannelFactory.create(store=StoreFactory.create(organization=organization))
    row = SyncRecord.objects.create(channel=channel, kind="invoice", object_id=1)

    outcome = after_error(row=row, error=XeroError(f"Xero refused the request ({status}).", status=status), wrote=True)

    assert (outcome.state, outcome.attempt) == (SyncState.FAILED, AttemptOutcome.VALIDATION)
    assert outcome.http_status == status
    assert (outcome.message, outcome.wait) == (f"Xero refused the request ({status}).", None)


def test_a_backfill_into_a_high_volume_starter_organisation_costs_two_calls_per_batch(org, live_server):
    """The issue's backfill, scaled down (2,000 invoices of 1,500 new customers → 200 of 150): every
    invoice synced once, no URL over the limit, and a call budget that scales to a Starter day."""
    Organisation.objects.filter(tenant_id=org.tenant_id).update(high_volume=True)
    channel = connect_channel(org=org, account_nominal_code="200")
    invoices = [
        InvoiceFactory.create(
            store=channel.store, customer_name=f"Customer {n % 150:03d}", customer_email=long_email(n % 150)
        )
        for n in range(200)
    ]

    drain(channel, timeout=120)

    assert {row_of(channel, i).state for i in invoices} == {SyncState.SYNCED}
    held = [i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)]
    assert sorted(held) == sorted(i.number for i in invoices)  # each once: no duplicates
    assert len(testing.contacts(organisation=org.tenant_id)) == 150
    calls = list(
        RequestLog.objects.filter(organisation__tenant_id=org.tenant_id).order_by("pk").values_list("method", "path")
    )
    # Tax rates and currencies once, one refused OR-joined contact look-up, then per batch of 50 one
    # contacts PUT (the first three batches bring new customers; the fourth's are known) and one
    # invoices PUT. So 2,000 invoices of 1,500 customers take at most 3 + 2 × 40 = 83 calls of a
    # Starter day's 1,000.
    assert len(calls) == 3 + 2 * 3 + 1, calls
    assert [m for m, _p in calls].count("GET") == 3


def test_a_batch_over_xeros_size_limit_is_sent_in_halves(org):
    channel = connect_channel(org=org, account_nominal_code="200")
    # About 1.5 MB of JSON each: three together are over Xero's 3.5 MB, one and two are not.
    lines = [{"description": f"{n:04d} " + "x" * 494, "quantity": Decimal("1"), "unit_price": Decimal("1.00"),
              "tax_rate": Decimal("20")} for n in range(2500)]  # fmt: skip
    invoices = [
        invoice_create(
            store=channel.store,
            number=f"BIG-{n}",
            customer_name="Bulk Buyer",
            customer_email="bulk@example.com",
            issue_date=dt.date.today(),
            due_date=dt.date.today(),
            lines=lines,
        )
        for n in range(3)
    ]

    drain(channel, timeout=120)

    assert {row_of(channel, i).state for i in invoices} == {SyncState.SYNCED}
    # Xero refuses a large body before it reads who is asking: the log has no organisation for it.
    puts = RequestLog.objects.filter(path__endswith="/Invoices", method="PUT").order_by("pk")
    assert [(r.status, len(r.request_body) > 0) for r in puts] == [(413, False), (200, True), (200, True)]
    assert sorted(i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)) == [
        "BIG-0", "BIG-1", "BIG-2",
    ]  # fmt: skip


def test_a_day_budget_spent_elsewhere_stops_sending_before_xero_refuses(org):
    import time

    from accounting.sync.schedule.turn import channel_push_turn

    # Other apps, earlier today; the first invoice takes the last 6 calls (tax rates, currencies,
    # contact look-up and creation, invoice).
    testing.limits_day_calls_add(organisation=org.tenant_id, calls=994)
    channel = connect_channel(org=org, account_nominal_code="200")
    first = InvoiceFactory.create(store=channel.store)
    drain(channel)
    assert row_of(channel, first).state == SyncState.SYNCED
    assert XeroOrganisationFacts.objects.get(tenant_id=org.tenant_id).day_remaining == 0

    later = InvoiceFactory.create(store=channel.store)
    time.sleep(1.1)  # Xero's "0 remaining" paused the organisation for a (scaled) minute first
    result = channel_push_turn(channel_id=channel.pk)

    assert result.more is True and result.wait > 600  # the rest of the (scaled) day
    row = row_of(channel, later)
    assert (row.state, row.attempt_count) == (SyncState.PENDING, 0)
    assert not RequestLog.objects.filter(status=429).exists()  # the portal stopped first


def test_a_refused_default_sales_account_is_looked_up_again_on_retry(org):
    from accounting.sync.ledger.actions import sync_retry_channel
    from xero_sandbox.models import Account

    channel = connect_channel(org=org, account_nominal_code="")
    InvoiceFactory.create(store=channel.store)
    drain(channel)  # the organisation's sales account (200) is looked up and remembered
    Account.objects.filter(organisation__tenant_id=org.tenant_id, code="200").update(status="ARCHIVED")
    refused = InvoiceFactory.create(store=channel.store)
    drain(channel)
    assert row_of(channel, refused).state == SyncState.FAILED

    assert sync_retry_channel(channel_id=channel.pk) == 1
    drain(channel)

    assert row_of(channel, refused).state == SyncState.SYNCED
    codes = [li["AccountCode"] for inv in testing.invoices(organisation=org.tenant_id) for li in inv["LineItems"]]
    assert codes[0] == "200" and codes[1] != "200"
    assert testing.request_count(organisation=org.tenant_id, method="GET", path_contains="Accounts") == 2

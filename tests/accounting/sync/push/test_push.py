"""Sending to the sandbox over real HTTP, one turn at a time in this process (no worker needed).

What a merchant checks in Xero: the invoice's number, contact, lines, accounts, tax, totals,
link back to the portal; items; and, in the portal, each row's state with Xero's own reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounting.providers.xero.answers import access_refused_message
from accounting.sync.ledger.summary import channel_sync_summary
from accounting.sync.models import AttemptOutcome, RecordKind, SyncState
from accounting.sync.schedule.turn import channel_push_turn
from stores.services import invoice_create, invoice_update, product_create
from tests.accounting.sync.conftest import connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, row_of
from tests.factories import InvoiceFactory, ProductFactory, StoreFactory
from xero_sandbox import testing
from xero_sandbox.models import LineItem as SandboxLineItem

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_an_invoice_arrives_with_the_channels_mapping(org, live_server):
    store = StoreFactory.create(currency="GBP")
    channel = connect_channel(org=org, store=store, invoice_number_prefix="WEB-", account_nominal_code="260")
    invoice = invoice_create(
        store=store, number="1001", customer_name="Ada Lovelace", customer_email="ada@example.com",
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1),
        lines=[
            {"description": "Tea pot", "quantity": Decimal("2"), "unit_price": Decimal("12.3450"),
             "tax_rate": Decimal("20")},
            {"description": "Cups", "quantity": Decimal("1.5"), "unit_price": Decimal("4"), "tax_rate": Decimal("20"),
             "discount_rate": Decimal("10")},
        ],
    )  # fmt: skip

    drain(channel)

    [sent] = testing.invoices(organisation=org.tenant_id)
    assert sent["InvoiceNumber"] == "WEB-1001"
    assert sent["Reference"] == "1001"
    assert sent["Type"] == "ACCREC"
    assert sent["Status"] == "AUTHORISED"
    assert sent["CurrencyCode"] == "GBP"
    assert sent["LineAmountTypes"] == "Exclusive"
    assert sent["Contact"]["Name"] == "Ada Lovelace"
    assert sent["Url"] == f"{live_server.url}/stores/{store.pk}/invoices/{invoice.pk}/"
    # Read the stored lines: the API renders unit amounts at 2 dp unless asked for unitdp=4.
    stored = SandboxLineItem.objects.filter(invoice__invoice_id=sent["InvoiceID"]).order_by("position")
    lines = [(li.description, li.quantity, li.unit_amount, li.account_code, li.tax_type, li.discount_rate)
             for li in stored]  # fmt: skip
    assert lines == [
        ("Tea pot", Decimal("2"), Decimal("12.345"), "260", "OUTPUT2", None),
        ("Cups", Decimal("1.5"), Decimal("4"), "260", "OUTPUT2", Decimal("10")),
    ]
    assert Decimal(str(sent["Total"])) == invoice.total == Decimal("36.11")
    row = row_of(channel, invoice)
    assert (row.state, row.xero_id, row.last_error) == (SyncState.SYNCED, sent["InvoiceID"], "")
    assert [a.outcome for a in row.attempts.all()] == [AttemptOutcome.OK]


def test_a_blank_account_code_uses_the_organisations_sales_account_looked_up_once(org):
    channel = connect_channel(org=org, account_nominal_code="")
    InvoiceFactory.create(store=channel.store)
    drain(channel)
    InvoiceFactory.create(store=channel.store)
    drain(channel)

    sent = testing.invoices(organisation=org.tenant_id)
    assert [li["AccountCode"] for inv in sent for li in inv["LineItems"]] == ["200", "200"]
    assert testing.request_count(organisation=org.tenant_id, method="GET", path_contains="Accounts") == 1


def test_contacts_are_found_by_email_then_name_created_once_and_disambiguated(org):
    channel = connect_channel(org=org)
    store = channel.store
    from accounting.providers.xero.client import XeroClient
    from accounting.providers.xero.mapping import contact_payload

    seed = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    seed.contacts_create(
        contacts=[contact_payload(name="Grace H.", email="grace@example.com"),
                  contact_payload(name="Alan Turing", email="alan@elsewhere.example")],
        idempotency_key="seed-contacts",
    )  # fmt: skip
    InvoiceFactory.create(store=store, customer_name="Grace Hopper", customer_email="grace@example.com")
    InvoiceFactory.create(store=store, customer_name="Alan Turing", customer_email="alan@example.com")
    InvoiceFactory.create(store=store, customer_name="Alan Turing", customer_email="alan@example.com")
    InvoiceFactory.create(store=store, customer_name="Walk-in", customer_email="")

    drain(channel)

    by_number = {i["InvoiceNumber"]: i["Contact"]["Name"] for i in testing.invoices(organisation=org.tenant_id)}
    assert sorted(by_number.values()) == ["Alan Turing (alan@example.com)", "Alan Turing (alan@example.com)",
                                          "Grace H.", "Walk-in"]  # fmt: skip
    names = sorted(c["Name"] for c in testing.contacts(organisation=org.tenant_id))
    assert names == ["Alan Turing", "Alan Turing (alan@example.com)", "Grace H.", "Walk-in"]


# Xero refuses a posted invoice dated on or before the period lock date (a currency the
# organisation lacks is refused before sending: test_currency_and_contacts.py).
LOCKED_ON = dt.date.today() - dt.timedelta(days=10)
LOCKED_MESSAGE = f"The document date cannot be before the period lock date, currently set at {LOCKED_ON:%d-%b-%Y}"


def test_a_mixed_batch_syncs_the_valid_invoices_and_fails_the_invalid_one_with_xeros_message(org):
    channel = connect_channel(org=org)
    testing.lock_date_set(organisation=org.tenant_id, lock_date=LOCKED_ON)
    good = [InvoiceFactory.create(store=channel.store) for _ in range(3)]
    bad = InvoiceFactory.create(store=channel.store, issue_date=LOCKED_ON - dt.timedelta(days=20))

    drain(channel)

    assert {row_of(channel, i).state for i in good} == {SyncState.SYNCED}
    failed = row_of(channel, bad)
    assert failed.state == SyncState.FAILED
    assert failed.last_error.startswith(LOCKED_MESSAGE)
    assert sorted(i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)) == sorted(
        i.number for i in good
    )
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1
    summary = channel_sync_summary(channel=channel)
    assert summary["counts"]["synced"] == 3
    assert summary["counts"]["failed"] == 1
    assert [(e["object_id"], e["message"]) for e in summary["errors"]] == [(bad.pk, failed.last_error)]


def test_a_rejected_invoice_waits_until_it_changes_then_goes_again(org):
    channel = connect_channel(org=org)
    testing.lock_date_set(organisation=org.tenant_id, lock_date=LOCKED_ON)
    bad = InvoiceFactory.create(store=channel.store, issue_date=LOCKED_ON - dt.timedelta(days=20))
    drain(channel)
    drain(channel)
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1

    invoice_update(invoice=bad, issue_date=dt.date.today())
    drain(channel)

    assert row_of(channel, bad).state == SyncState.SYNCED
    assert [i["Date"] for i in testing.invoices(organisation=org.tenant_id)] == [
        f"/Date({int(dt.datetime.combine(dt.date.today(), dt.time(), tzinfo=dt.UTC).timestamp() * 1000)}+0000)/"
    ]


def test_an_operator_retry_sends_a_failed_row_again(org):
    channel = connect_channel(org=org, account_nominal_code="999")
    invoice = InvoiceFactory.create(store=channel.store)
    drain(channel)
    assert row_of(channel, invoice).last_error == "Account code '999' is not a valid code for this document."

    channel.account_nominal_code = "200"
    channel.save()
    call_command("sync_retry", "--channel", str(channel.pk))
    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    assert [i["LineItems"][0]["AccountCode"] for i in testing.invoices(organisation=org.tenant_id)] == ["200"]


def test_a_changed_invoice_is_updated_in_place_and_an_unchanged_one_is_not_resent(org):
    channel = connect_channel(org=org)
    invoice = InvoiceFactory.create(store=channel.store, customer_name="Old Name Ltd")
    drain(channel)
    invoice_update(invoice=invoice)  # saved, nothing changed
    drain(channel)
    assert testing.request_count(organisation=org.tenant_id, method="POST", path_contains="Invoices") == 0

    invoice_update(invoice=invoice, due_date=dt.date(2027, 1, 31))
    drain(channel)

    [sent] = testing.invoices(organisation=org.tenant_id)
    assert sent["DueDate"].startswith("/Date(") or sent["DueDate"].startswith("2027-01-31")
    assert row_of(channel, invoice).xero_id == sent["InvoiceID"]
    assert testing.request_count(organisation=org.tenant_id, method="POST", path_contains="Invoices") == 1


def test_add_products_sends_items_with_codes_names_and_sales_details(org):
    channel = connect_channel(org=org, add_products=True, account_nominal_code="200")
    main = product_create(store=channel.store, sku="MUG", name="Mug", unit_price=Decimal("7.5000"))
    product_create(store=channel.store, sku="MUG-RED", name="Red", unit_price=Decimal("8.25"), parent=main)
    too_long = product_create(store=channel.store, sku="X" * 31, name="Long code", unit_price=Decimal("1"))

    drain(channel)

    items = {i["Code"]: i for i in testing.items(organisation=org.tenant_id)}
    assert sorted(items) == ["MUG", "MUG-RED"]
    assert items["MUG"]["Name"] == "Mug"
    assert items["MUG-RED"]["Name"] == "Mug - Red"
    assert Decimal(str(items["MUG-RED"]["SalesDetails"]["UnitPrice"])) == Decimal("8.25")
    assert items["MUG"]["SalesDetails"]["AccountCode"] == "200"
    failed = row_of(channel, too_long, RecordKind.PRODUCT)
    assert failed.state == SyncState.FAILED
    assert failed.last_error == f"SKU '{'X' * 31}' has 31 characters; Xero item codes allow 30."


def test_with_add_products_off_products_are_skipped_and_switching_it_on_sends_them(org):
    channel = connect_channel(org=org, add_products=False)
    product = ProductFactory.create(store=channel.store, sku="TEA")
    drain(channel)
    row = row_of(channel, product, RecordKind.PRODUCT)
    assert (row.state, row.last_error) == (SyncState.SKIPPED, "Add Products to Xero is off for this channel.")
    assert testing.items(organisation=org.tenant_id) == []

    channel.add_products = True
    channel.save()
    drain(channel)

    assert [i["Code"] for i in testing.items(organisation=org.tenant_id)] == ["TEA"]
    assert row_of(channel, product, RecordKind.PRODUCT).state == SyncState.SYNCED


@pytest.mark.parametrize("create_missing", [True, False])
def test_create_nonexistent_products_decides_whether_lines_carry_item_codes(org, create_missing):
    channel = connect_channel(org=org, create_nonexistent_products=create_missing)
    product = ProductFactory.create(store=channel.store, sku="SCARF", name="Scarf", unit_price=Decimal("20"))
    invoice_create(
        store=channel.store, number="77", customer_name="Kim", issue_date=dt.date(2026, 1, 5),
        due_date=dt.date(2026, 2, 5),
        lines=[{"product": product, "description": "Scarf", "quantity": Decimal("1"), "unit_price": Decimal("20")}],
    )  # fmt: skip

    drain(channel)

    [sent] = testing.invoices(organisation=org.tenant_id)
    codes = [i["Code"] for i in testing.items(organisation=org.tenant_id)]
    if create_missing:
        assert sent["LineItems"][0]["ItemCode"] == "SCARF"
        assert codes == ["SCARF"]
        assert row_of(channel, product, RecordKind.PRODUCT).state == SyncState.SYNCED
    else:
        assert sent["LineItems"][0].get("ItemCode", "") == ""
        assert codes == []


def test_an_expired_access_token_gets_one_forced_refresh_then_the_invoice_goes(sandbox, clean_redis):
    org = sandbox_org("Expired Token Ltd", expires_in=-60)
    channel = connect_channel(org=org)
    # The portal believes the token is still good, so only Xero's 401 can reveal it.
    channel.token_expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    channel.save()
    invoice = InvoiceFactory.create(store=channel.store)

    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    channel.refresh_from_db()
    assert channel.token_set["access_token"] != org.token_set["access_token"]


def test_a_revoked_connection_marks_the_channel_needs_reconnect_and_rows_wait(org):
    channel = connect_channel(org=org)
    invoice = InvoiceFactory.create(store=channel.store)
    testing.connections_revoke(organisation=org.tenant_id)

    drain(channel)

    channel.refresh_from_db()
    assert channel.connection_state == "needs_reconnect"
    assert channel.state_reason == access_refused_message("AuthenticationUnsuccessful")
    row = row_of(channel, invoice)
    assert row.state == SyncState.PENDING
    assert row.last_error == access_refused_message("AuthenticationUnsuccessful")
    assert channel_push_turn(channel_id=channel.pk).more is False  # nothing more is sent
    assert testing.invoices(organisation=org.tenant_id) == []


def test_voiding_a_sent_invoice_voids_it_in_xero_and_a_never_sent_void_is_skipped(org):
    channel = connect_channel(org=org)
    sent = InvoiceFactory.create(store=channel.store, number="V-1")
    drain(channel)
    never_sent = InvoiceFactory.create(store=channel.store, number="V-2", status="void")

    invoice_update(invoice=sent, status="void")
    drain(channel)

    assert [(i["InvoiceNumber"], i["Status"]) for i in testing.invoices(organisation=org.tenant_id)] == [
        ("V-1", "VOIDED")
    ]
    skipped = row_of(channel, never_sent)
    assert (skipped.state, skipped.last_error) == (
        SyncState.SKIPPED,
        "The invoice is void in the store and was never sent.",
    )

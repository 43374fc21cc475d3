"""Sending to the sandbox over real HTTP, one turn at a time in this process (no worker needed).

What a merchant checks in Xero: the invoice's number, contact, lines, accounts, tax, totals,
link back to the portal; items; and, in the portal, each row's state with Xero's own reason.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounting.sync.models import AttemptOutcome, RecordKind, SyncRecord, SyncState
from accounting.sync.selectors import channel_sync_summary
from accounting.sync.turn import channel_push_turn
from stores.services import invoice_create, invoice_update, product_create
from tests.factories import InvoiceFactory, ProductFactory, StoreFactory
from xero_sandbox import testing
from xero_sandbox.models import LineItem as SandboxLineItem

from .conftest import connect_channel, sandbox_org

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def drain(channel, *, timeout: float = 30.0) -> None:
    """Run turns until the channel has nothing due (waiting out the limiter like a reschedule)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = channel_push_turn(channel_id=channel.pk)
        if not result.more:
            return
        time.sleep(min(result.wait, 0.5))
    raise AssertionError("the channel still had due rows")


def row_of(channel, obj, kind=RecordKind.INVOICE) -> SyncRecord:
    return SyncRecord.objects.get(channel=channel, kind=kind, object_id=obj.pk)


@pytest.fixture
def org(sandbox, clean_redis):
    return sandbox_org("Acme Books Ltd")


def test_an_invoice_arrives_with_the_channels_mapping(org, live_server):
    store = StoreFactory(currency="GBP")
    channel = connect_channel(
        org=org, store=store, invoice_number_prefix="WEB-", account_nominal_code="260", default_tax_type="OUTPUT2"
    )
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
    InvoiceFactory(store=channel.store)
    drain(channel)
    InvoiceFactory(store=channel.store)
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
    InvoiceFactory(store=store, customer_name="Grace Hopper", customer_email="grace@example.com")
    InvoiceFactory(store=store, customer_name="Alan Turing", customer_email="alan@example.com")
    InvoiceFactory(store=store, customer_name="Alan Turing", customer_email="alan@example.com")
    InvoiceFactory(store=store, customer_name="Walk-in", customer_email="")

    drain(channel)

    by_number = {i["InvoiceNumber"]: i["Contact"]["Name"] for i in testing.invoices(organisation=org.tenant_id)}
    assert sorted(by_number.values()) == ["Alan Turing (alan@example.com)", "Alan Turing (alan@example.com)",
                                          "Grace H.", "Walk-in"]  # fmt: skip
    names = sorted(c["Name"] for c in testing.contacts(organisation=org.tenant_id))
    assert names == ["Alan Turing", "Alan Turing (alan@example.com)", "Grace H.", "Walk-in"]


def test_a_mixed_batch_syncs_the_valid_invoices_and_fails_the_invalid_one_with_xeros_message(org):
    channel = connect_channel(org=org)
    good = [InvoiceFactory(store=channel.store) for _ in range(3)]
    bad = InvoiceFactory(store=channel.store, currency="JPY")

    drain(channel)

    assert {row_of(channel, i).state for i in good} == {SyncState.SYNCED}
    failed = row_of(channel, bad)
    assert failed.state == SyncState.FAILED
    assert failed.last_error == "Organisation is not subscribed to currency JPY"
    assert sorted(i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)) == sorted(
        i.number for i in good
    )
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1
    summary = channel_sync_summary(channel=channel)
    assert summary["counts"]["synced"] == 3
    assert summary["counts"]["failed"] == 1
    assert [(e["object_id"], e["message"]) for e in summary["errors"]] == [
        (bad.pk, "Organisation is not subscribed to currency JPY")
    ]


def test_a_rejected_invoice_waits_until_it_changes_then_goes_again(org):
    channel = connect_channel(org=org)
    bad = InvoiceFactory(store=channel.store, currency="JPY")
    drain(channel)
    drain(channel)
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1

    invoice_update(invoice=bad, currency="GBP")
    drain(channel)

    assert row_of(channel, bad).state == SyncState.SYNCED
    assert [i["CurrencyCode"] for i in testing.invoices(organisation=org.tenant_id)] == ["GBP"]


def test_an_operator_retry_sends_a_failed_row_again(org):
    channel = connect_channel(org=org, account_nominal_code="999")
    invoice = InvoiceFactory(store=channel.store)
    drain(channel)
    assert "Account code '999' is not a valid code" in row_of(channel, invoice).last_error

    channel.account_nominal_code = "200"
    channel.save()
    call_command("sync_retry", "--channel", str(channel.pk))
    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    assert [i["LineItems"][0]["AccountCode"] for i in testing.invoices(organisation=org.tenant_id)] == ["200"]


def test_a_changed_invoice_is_updated_in_place_and_an_unchanged_one_is_not_resent(org):
    channel = connect_channel(org=org)
    invoice = InvoiceFactory(store=channel.store, customer_name="Old Name Ltd")
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
    product = ProductFactory(store=channel.store, sku="TEA")
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
    product = ProductFactory(store=channel.store, sku="SCARF", name="Scarf", unit_price=Decimal("20"))
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
    invoice = InvoiceFactory(store=channel.store)

    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    channel.refresh_from_db()
    assert channel.token_set["access_token"] != org.token_set["access_token"]


def test_a_revoked_connection_marks_the_channel_needs_reconnect_and_rows_wait(org):
    channel = connect_channel(org=org)
    invoice = InvoiceFactory(store=channel.store)
    testing.connections_revoke(organisation=org.tenant_id)

    drain(channel)

    channel.refresh_from_db()
    assert channel.connection_state == "needs_reconnect"
    assert "reconnect" in channel.state_reason.lower()
    row = row_of(channel, invoice)
    assert row.state == SyncState.PENDING
    assert "AuthenticationUnsuccessful" in row.last_error
    assert channel_push_turn(channel_id=channel.pk).more is False  # nothing more is sent
    assert testing.invoices(organisation=org.tenant_id) == []


def test_voiding_a_sent_invoice_voids_it_in_xero_and_a_never_sent_void_is_skipped(org):
    channel = connect_channel(org=org)
    sent = InvoiceFactory(store=channel.store, number="V-1")
    drain(channel)
    never_sent = InvoiceFactory(store=channel.store, number="V-2", status="void")

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


def test_a_contact_gone_from_xero_fails_once_then_a_retry_finds_or_creates_it_afresh(org):
    from accounting.sync.models import XeroContactLink
    from accounting.sync.services import sync_retry_channel

    channel = connect_channel(org=org)
    gone = "0b7e1c2a-0000-4000-8000-000000000001"
    XeroContactLink.objects.create(tenant_id=org.tenant_id, customer_key="lin@example.com", contact_id=gone, name="Lin")
    invoice = InvoiceFactory(store=channel.store, customer_name="Lin", customer_email="lin@example.com")
    drain(channel)
    row = row_of(channel, invoice)
    assert (row.state, row.last_error) == (SyncState.FAILED, f"Contact ID '{gone}' is not valid")
    assert not XeroContactLink.objects.filter(customer_key="lin@example.com").exists()

    assert sync_retry_channel(channel_id=channel.pk) == 1
    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    assert [i["Contact"]["Name"] for i in testing.invoices(organisation=org.tenant_id)] == ["Lin"]


def seed_contact(org, *, name: str, email: str) -> None:
    """Create a contact in the sandbox first, so the invoice's PUT is the turn's first write."""
    from accounting.providers.xero.client import XeroClient
    from accounting.providers.xero.mapping import contact_payload

    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    client.contacts_create(contacts=[contact_payload(name=name, email=email)], idempotency_key=f"seed-{email}")


def one_line(description: str, price: str) -> list[dict]:
    return [{"description": description, "quantity": Decimal("1"), "unit_price": Decimal(price)}]


def test_an_invoice_edited_after_a_lost_answer_reaches_xero_in_its_edited_version_once(org):
    channel = connect_channel(org=org)
    seed_contact(org, name="Bea", email="bea@example.com")
    invoice = invoice_create(
        store=channel.store, number="L-1", customer_name="Bea", customer_email="bea@example.com",
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=one_line("Old lamp", "10"),
    )  # fmt: skip
    testing.faults_set(organisation=org.tenant_id, drop_share=1.0)
    channel_push_turn(channel_id=channel.pk)  # the PUT is committed in Xero, its answer lost
    testing.faults_clear(organisation=org.tenant_id)
    row = row_of(channel, invoice)
    assert (row.state, row.needs_lookup, row.xero_id) == (SyncState.PENDING, True, "")

    invoice_update(invoice=invoice, lines=one_line("New lamp", "25"))
    drain(channel)

    [sent] = testing.invoices(organisation=org.tenant_id)
    assert sent["InvoiceNumber"] == "L-1"
    assert [li["Description"] for li in sent["LineItems"]] == ["New lamp"]
    assert Decimal(str(sent["SubTotal"])) == Decimal("25")
    row = row_of(channel, invoice)
    assert (row.state, row.xero_id, row.needs_lookup) == (SyncState.SYNCED, sent["InvoiceID"], False)
    assert row.payload_hash != ""
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1
    assert [a.outcome for a in row.attempts.order_by("pk")][-2:] == [AttemptOutcome.FOUND, AttemptOutcome.OK]


def test_an_unchanged_invoice_after_a_lost_answer_is_adopted_without_a_second_invoice(org):
    channel = connect_channel(org=org)
    seed_contact(org, name="Cy", email="cy@example.com")
    invoice = InvoiceFactory(store=channel.store, customer_name="Cy", customer_email="cy@example.com")
    testing.faults_set(organisation=org.tenant_id, drop_share=1.0)
    channel_push_turn(channel_id=channel.pk)
    testing.faults_clear(organisation=org.tenant_id)

    drain(channel)

    [sent] = testing.invoices(organisation=org.tenant_id)
    row = row_of(channel, invoice)
    assert (sent["InvoiceNumber"], row.state, row.xero_id) == (invoice.number, SyncState.SYNCED, sent["InvoiceID"])
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1
    # Xero holds exactly the version the lost PUT carried: adopted as it is, no update sent.
    assert testing.request_count(organisation=org.tenant_id, method="POST", path_contains="Invoices") == 0
    assert [a.outcome for a in row.attempts.order_by("pk")][-2:] == [AttemptOutcome.FOUND, AttemptOutcome.UNCHANGED]


def test_a_slow_turn_whose_rows_were_reclaimed_and_sent_by_another_turn_leaves_their_result_alone(org):
    from django.utils import timezone

    from accounting.sync.outcomes import records_finish, rejected
    from accounting.sync.turn import leases_reclaim, rows_claim

    channel = connect_channel(org=org)
    invoice = InvoiceFactory(store=channel.store)
    slow = rows_claim(channel=channel, kind=RecordKind.INVOICE)
    SyncRecord.objects.filter(pk=slow[0].pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert leases_reclaim() == 1
    drain(channel)  # another turn looks the invoice up, then sends it
    [sent] = testing.invoices(organisation=org.tenant_id)

    records_finish(rows=slow, outcomes={slow[0].pk: rejected(messages=["A late answer."])}, idempotency_key="late")

    row = row_of(channel, invoice)
    assert (row.state, row.xero_id, row.last_error) == (SyncState.SYNCED, sent["InvoiceID"], "")
    assert not row.attempts.filter(idempotency_key="late").exists()


def test_every_call_of_a_turn_renews_the_lease_of_its_rows(org, settings):
    from django.utils import timezone

    from accounting.providers.xero.client import XeroClient
    from accounting.sync.limiter import LimiterGate, limiter
    from accounting.sync.turn import HeldGate, row_lease_seconds, rows_claim

    settings.XERO_REQUEST_TIMEOUT = 30.0
    channel = connect_channel(org=org)
    InvoiceFactory(store=channel.store)
    [row] = rows_claim(channel=channel, kind=RecordKind.INVOICE)
    # A turn may make several calls, each up to the timeout, plus one retry after a refresh.
    assert (row.lease_until - row.claimed_at).total_seconds() >= row_lease_seconds() >= 3 * 30.0
    SyncRecord.objects.filter(pk=row.pk).update(lease_until=timezone.now() + dt.timedelta(seconds=1))
    gate = LimiterGate(limiter=limiter(), tenant_id=org.tenant_id, app_key=channel.client_id)
    held = HeldGate(gate, gate.acquire())
    held.claim = row.claim
    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id, gate=held)

    before = timezone.now()
    client.accounts_where(where='Type=="REVENUE"')

    row.refresh_from_db()
    assert row.lease_until >= before + dt.timedelta(seconds=row_lease_seconds())


def lose_first_put(org, channel) -> None:
    """Run one turn whose invoice PUT is committed in Xero but its answer lost."""
    testing.faults_set(organisation=org.tenant_id, drop_share=1.0)
    channel_push_turn(channel_id=channel.pk)
    testing.faults_clear(organisation=org.tenant_id)


def test_a_prefix_change_after_a_lost_answer_finds_the_number_sent_and_creates_no_second_invoice(org):
    channel = connect_channel(org=org, invoice_number_prefix="A-")
    seed_contact(org, name="Di", email="di@example.com")
    invoice = InvoiceFactory(store=channel.store, number="5", customer_name="Di", customer_email="di@example.com")
    lose_first_put(org, channel)
    assert row_of(channel, invoice).xero_number == "A-5"

    channel.invoice_number_prefix = "B-"
    channel.save()
    drain(channel)

    [sent] = testing.invoices(organisation=org.tenant_id)
    row = row_of(channel, invoice)
    assert (row.state, row.xero_id) == (SyncState.SYNCED, sent["InvoiceID"])
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1


def test_a_number_with_a_comma_is_found_after_a_lost_answer(org):
    channel = connect_channel(org=org)
    seed_contact(org, name="Ed", email="ed@example.com")
    invoice = InvoiceFactory(
        store=channel.store, number='7,001 "B"', customer_name="Ed", customer_email="ed@example.com"
    )
    lose_first_put(org, channel)

    drain(channel)

    [sent] = testing.invoices(organisation=org.tenant_id)
    assert sent["InvoiceNumber"] == '7,001 "B"'
    assert row_of(channel, invoice).xero_id == sent["InvoiceID"]
    assert testing.request_count(organisation=org.tenant_id, method="PUT", path_contains="Invoices") == 1


def test_a_store_void_follows_the_status_xero_holds_not_the_channels_current_setting(org):
    channel = connect_channel(org=org, invoice_status="DRAFT")
    invoice = InvoiceFactory(store=channel.store, number="D-1")
    drain(channel)
    assert [i["Status"] for i in testing.invoices(organisation=org.tenant_id)] == ["DRAFT"]
    assert row_of(channel, invoice).xero_status == "DRAFT"

    channel.invoice_status = "AUTHORISED"
    channel.save()
    invoice_update(invoice=invoice, status="void")
    drain(channel)

    assert [(i["InvoiceNumber"], i["Status"]) for i in testing.invoices(organisation=org.tenant_id)] == [
        ("D-1", "DELETED")
    ]
    row = row_of(channel, invoice)
    assert (row.state, row.xero_status, row.last_error) == (SyncState.SYNCED, "DELETED", "")


def test_an_item_gone_from_xero_fails_once_then_a_retry_creates_it_afresh(org):
    from accounting.sync.models import XeroItemLink
    from accounting.sync.services import sync_retry_channel
    from xero_sandbox.models import Item as SandboxItem

    channel = connect_channel(org=org, create_nonexistent_products=True)
    product = ProductFactory(store=channel.store, sku="SCARF", name="Scarf", unit_price=Decimal("20"))
    line = {"product": product, "description": "Scarf", "quantity": Decimal("1"), "unit_price": Decimal("20")}
    dates = {"issue_date": dt.date(2026, 1, 5), "due_date": dt.date(2026, 2, 5)}
    invoice_create(store=channel.store, number="I-1", customer_name="Kim", lines=[line], **dates)
    drain(channel)
    SandboxItem.objects.filter(organisation__tenant_id=org.tenant_id, code="SCARF").delete()  # deleted in Xero

    second = invoice_create(store=channel.store, number="I-2", customer_name="Kim", lines=[line], **dates)
    drain(channel)
    row = row_of(channel, second)
    assert (row.state, row.last_error) == (SyncState.FAILED, "Item code 'SCARF' is not valid")
    assert not XeroItemLink.objects.filter(tenant_id=org.tenant_id, code="SCARF").exists()

    assert sync_retry_channel(channel_id=channel.pk) == 1
    drain(channel)

    assert (row_of(channel, second).state, row_of(channel, second).last_error) == (SyncState.SYNCED, "")
    assert [i["Code"] for i in testing.items(organisation=org.tenant_id)] == ["SCARF"]
    sent = {i["InvoiceNumber"]: i["LineItems"][0]["ItemCode"] for i in testing.invoices(organisation=org.tenant_id)}
    assert sent == {"I-1": "SCARF", "I-2": "SCARF"}


def test_a_failed_forced_refresh_releases_the_rows_marked_for_a_look_up_before_any_resend(sandbox, clean_redis):
    from xero_sandbox.models import RefreshToken

    org = sandbox_org("Refused Refresh Ltd", expires_in=-60)
    channel = connect_channel(org=org)
    # The portal believes the token is still good, so only Xero's 401 forces the refresh.
    channel.token_expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    channel.save()
    invoice = InvoiceFactory(store=channel.store)
    RefreshToken.objects.filter(grant__app__client_id=org.client_id).delete()  # Xero refuses the refresh

    channel_push_turn(channel_id=channel.pk)

    row = row_of(channel, invoice)
    assert (row.state, row.needs_lookup, row.claim) == (SyncState.PENDING, True, "")
    assert row.last_error != ""
    assert testing.invoices(organisation=org.tenant_id) == []

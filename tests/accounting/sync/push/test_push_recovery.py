"""Recovery when Xero or the portal misbehaves mid-send, one turn at a time against the sandbox:
lost answers, reclaimed rows, renamed numbers, items and contacts gone from Xero, refused refreshes.

What a merchant checks: each invoice in Xero exactly once, in the store's current version.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounting.sync.models import AttemptOutcome, RecordKind, SyncRecord, SyncState
from accounting.sync.schedule.turn import channel_push_turn
from stores.services import invoice_create, invoice_update
from tests.accounting.sync.conftest import connect_channel, sandbox_org
from tests.accounting.sync.turns import drain, lose_first_put, one_line, row_of, seed_contact
from tests.factories import InvoiceFactory, ProductFactory
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_contact_gone_from_xero_fails_once_then_a_retry_finds_or_creates_it_afresh(org):
    from accounting.sync.ledger.actions import sync_retry_channel
    from accounting.sync.models import XeroContactLink

    channel = connect_channel(org=org)
    gone = "0b7e1c2a-0000-4000-8000-000000000001"
    XeroContactLink.objects.create(tenant_id=org.tenant_id, customer_key="lin@example.com", contact_id=gone, name="Lin")
    invoice = InvoiceFactory.create(store=channel.store, customer_name="Lin", customer_email="lin@example.com")
    drain(channel)
    row = row_of(channel, invoice)
    assert (row.state, row.last_error) == (SyncState.FAILED, f"Contact ID '{gone}' is not valid")
    assert not XeroContactLink.objects.filter(customer_key="lin@example.com").exists()

    assert sync_retry_channel(channel_id=channel.pk) == 1
    drain(channel)

    assert row_of(channel, invoice).state == SyncState.SYNCED
    assert [i["Contact"]["Name"] for i in testing.invoices(organisation=org.tenant_id)] == ["Lin"]


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
    invoice = InvoiceFactory.create(store=channel.store, customer_name="Cy", customer_email="cy@example.com")
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

    from accounting.sync.push.outcomes import records_finish, rejected
    from accounting.sync.schedule.turn import leases_reclaim, rows_claim

    channel = connect_channel(org=org)
    invoice = InvoiceFactory.create(store=channel.store)
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

    from accounting.access.limiter import LimiterGate, limiter
    from accounting.providers.xero.client import XeroClient
    from accounting.sync.schedule.turn import HeldGate, row_lease_seconds, rows_claim

    settings.XERO_REQUEST_TIMEOUT = 30.0
    channel = connect_channel(org=org)
    InvoiceFactory.create(store=channel.store)
    [row] = rows_claim(channel=channel, kind=RecordKind.INVOICE)
    # A turn may make several calls, each up to the timeout, plus one retry after a refresh.
    assert row.lease_until is not None and row.claimed_at is not None
    assert (row.lease_until - row.claimed_at).total_seconds() >= row_lease_seconds() >= 3 * 30.0
    SyncRecord.objects.filter(pk=row.pk).update(lease_until=timezone.now() + dt.timedelta(seconds=1))
    gate = LimiterGate(limiter=limiter(), tenant_id=org.tenant_id, app_key=channel.client_id)
    held = HeldGate(gate, gate.acquire())
    held.claim = row.claim
    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id, gate=held)

    before = timezone.now()
    client.accounts_where(where='Type=="REVENUE"')

    row.refresh_from_db()
    assert row.lease_until is not None
    assert row.lease_until >= before + dt.timedelta(seconds=row_lease_seconds())


def test_a_prefix_change_after_a_lost_answer_finds_the_number_sent_and_creates_no_second_invoice(org):
    channel = connect_channel(org=org, invoice_number_prefix="A-")
    seed_contact(org, name="Di", email="di@example.com")
    invoice = InvoiceFactory.create(
        store=channel.store, number="5", customer_name="Di", customer_email="di@example.com"
    )
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
    invoice = InvoiceFactory.create(
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
    invoice = InvoiceFactory.create(store=channel.store, number="D-1")
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
    from accounting.sync.ledger.actions import sync_retry_channel
    from accounting.sync.models import XeroItemLink
    from xero_sandbox.models import Item as SandboxItem

    channel = connect_channel(org=org, create_nonexistent_products=True)
    product = ProductFactory.create(store=channel.store, sku="SCARF", name="Scarf", unit_price=Decimal("20"))
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
    invoice = InvoiceFactory.create(store=channel.store)
    RefreshToken.objects.filter(grant__app__client_id=org.client_id).delete()  # Xero refuses the refresh

    channel_push_turn(channel_id=channel.pk)

    row = row_of(channel, invoice)
    assert (row.state, row.needs_lookup, row.claim) == (SyncState.PENDING, True, "")
    assert row.last_error != ""
    assert testing.invoices(organisation=org.tenant_id) == []

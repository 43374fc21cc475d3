"""The ledger is written in the same transaction as every change, whoever makes it."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounting.sync.admin import rows_queued_message
from accounting.sync.ledger.summary import channel_sync_summary
from accounting.sync.models import AttemptOutcome, RecordKind, SyncAttempt, SyncRecord, SyncState
from organizations.api_keys import api_key_create
from stores.services import invoice_create, invoice_update
from tests.factories import AccountingChannelFactory, InvoiceFactory, ProductFactory, StoreFactory, UserFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


def rows(**filters):
    return list(SyncRecord.objects.filter(**filters).order_by("channel_id").values_list("channel_id", "kind", "state"))


def test_the_billing_api_writes_a_row_per_channel_with_the_invoice(organization, store):
    active = AccountingChannelFactory.create(store=store, is_active=True)
    spare = AccountingChannelFactory.create(store=store, is_active=False)
    _, raw = api_key_create(organization=organization, name="Shop", created_by=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = api.post(
        f"/api/v1/stores/{store.pk}/invoices/",
        {"number": "A-1", "customer_name": "Bo", "issue_date": "2026-11-02", "due_date": "2026-12-02",
         "lines": [{"description": "Tea", "quantity": "1", "unit_price": "3.00"}]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
    invoice_id = response.json()["id"]
    assert rows(object_id=invoice_id) == [
        (active.pk, RecordKind.INVOICE, SyncState.PENDING),
        (spare.pk, RecordKind.INVOICE, SyncState.PENDING),
    ]


def test_a_write_that_fails_leaves_no_ledger_row(store):
    AccountingChannelFactory.create(store=store, is_active=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        line = {"description": "a", "quantity": 1, "unit_price": 1}
        invoice_create(
            store=store, number="GONE", customer_name="X", issue_date=dt.date(2026, 1, 1),
            due_date=dt.date(2026, 1, 2), lines=[line],
        )  # fmt: skip
        raise RuntimeError("the request failed after the invoice was saved")

    assert SyncRecord.objects.count() == 0


def test_products_get_rows_skipped_while_add_products_is_off_and_pending_once_on(store):
    channel = AccountingChannelFactory.create(store=store, add_products=False)
    product = ProductFactory.create(store=store)
    row = SyncRecord.objects.get(channel=channel, kind=RecordKind.PRODUCT, object_id=product.pk)
    assert (row.state, row.last_error) == (SyncState.SKIPPED, "Add Products to Xero is off for this channel.")

    channel.add_products = True
    channel.save()

    row.refresh_from_db()
    assert (row.state, row.last_error) == (SyncState.PENDING, "")


def test_a_new_channel_gets_rows_for_the_records_its_store_already_has(store):
    invoices = [InvoiceFactory.create(store=store) for _ in range(3)]
    product = ProductFactory.create(store=store)

    channel = AccountingChannelFactory.create(store=store, add_products=True)

    assert sorted(rows(channel=channel)) == [(channel.pk, RecordKind.INVOICE, SyncState.PENDING)] * 3 + [
        (channel.pk, RecordKind.PRODUCT, SyncState.PENDING)
    ]
    assert {r.object_id for r in SyncRecord.objects.filter(kind=RecordKind.INVOICE)} == {i.pk for i in invoices}
    assert SyncRecord.objects.get(kind=RecordKind.PRODUCT).object_id == product.pk


def test_a_change_makes_a_synced_row_pending_but_leaves_an_in_flight_row_to_its_sender(store):
    channel = AccountingChannelFactory.create(store=store)
    synced, flying = InvoiceFactory.create(store=store), InvoiceFactory.create(store=store)
    SyncRecord.objects.filter(object_id=synced.pk).update(state=SyncState.SYNCED, next_attempt_at=None)
    claimed_at = timezone.now() - dt.timedelta(seconds=5)
    SyncRecord.objects.filter(object_id=flying.pk).update(state=SyncState.IN_FLIGHT, claimed_at=claimed_at)

    invoice_update(invoice=synced, customer_name="New name")
    invoice_update(invoice=flying, customer_name="New name")

    assert SyncRecord.objects.get(channel=channel, object_id=synced.pk).state == SyncState.PENDING
    row = SyncRecord.objects.get(channel=channel, object_id=flying.pk)
    assert row.state == SyncState.IN_FLIGHT
    assert row.changed_at > claimed_at  # the sender sees it and sends the newer version


def test_the_admin_retry_action_requeues_failed_rows_and_shows_their_attempts(client, store):
    channel = AccountingChannelFactory.create(store=store)
    invoice = InvoiceFactory.create(store=store)
    row = SyncRecord.objects.get(channel=channel, object_id=invoice.pk)
    reason = "Account code '999' is not a valid code for this document."
    SyncRecord.objects.filter(pk=row.pk).update(
        state=SyncState.FAILED, next_attempt_at=None, attempt_count=1, last_error=reason
    )
    SyncAttempt.objects.create(record=row, outcome=AttemptOutcome.VALIDATION, http_status=200, message=reason)
    client.force_login(UserFactory.create(username="admin", is_staff=True, is_superuser=True))

    page = client.get(f"/admin/accounting_sync/syncrecord/{row.pk}/change/")
    assert page.status_code == 200
    assert "Account code &#x27;999&#x27; is not a valid code for this document." in page.content.decode()

    response = client.post(
        "/admin/accounting_sync/syncrecord/", {"action": "retry", "_selected_action": [row.pk]}, follow=True
    )

    assert messages_of(response) == [rows_queued_message(count=1)]
    row.refresh_from_db()
    assert (row.state, row.attempt_count) == (SyncState.PENDING, 0)
    assert row.next_attempt_at is not None


def test_the_retry_command_requeues_a_channels_failed_rows(store, capsys):
    channel = AccountingChannelFactory.create(store=store, name="Books")
    failed, fine = InvoiceFactory.create(store=store), InvoiceFactory.create(store=store)
    SyncRecord.objects.filter(object_id=failed.pk).update(state=SyncState.FAILED, next_attempt_at=None)
    SyncRecord.objects.filter(object_id=fine.pk).update(state=SyncState.SYNCED, next_attempt_at=None)

    call_command("sync_retry", "--channel", str(channel.pk))

    assert capsys.readouterr().out.strip() == f"Queued 1 failed row(s) of channel {channel.pk} (Books) for sending."
    assert dict(SyncRecord.objects.values_list("object_id", "state")) == {
        failed.pk: SyncState.PENDING,
        fine.pk: SyncState.SYNCED,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--channel", "999999"], "No accounting channel with id 999999."), (["--record", "5"], None)],
)
def test_the_retry_command_refuses_unknown_channels_and_rows_and_changes_nothing(store, args, message):
    channel = AccountingChannelFactory.create(store=store)
    invoice = InvoiceFactory.create(store=store)
    SyncRecord.objects.filter(object_id=invoice.pk).update(state=SyncState.FAILED)
    if message is None:  # a row id that is not this channel's
        args = ["--channel", str(channel.pk), "--record", "987654"]
        message = f"No sync row 987654 in channel {channel.pk}."

    with pytest.raises(CommandError, match=message):
        call_command("sync_retry", *args)

    assert SyncRecord.objects.get(object_id=invoice.pk).state == SyncState.FAILED


def test_the_channel_summary_counts_states_and_lists_failures_in_three_queries(store, django_assert_num_queries):
    channel = AccountingChannelFactory.create(store=store)
    invoices = [InvoiceFactory.create(store=store) for _ in range(5)]
    SyncRecord.objects.filter(object_id__in=[i.pk for i in invoices[:2]]).update(state=SyncState.SYNCED)
    SyncRecord.objects.filter(object_id=invoices[2].pk).update(
        state=SyncState.FAILED, last_error="Organisation is not subscribed to currency JPY", attempt_count=1
    )

    with django_assert_num_queries(3):
        summary = channel_sync_summary(channel=channel)

    assert summary["counts"] == {"pending": 2, "in_flight": 0, "synced": 2, "failed": 1, "skipped": 0, "waiting": 0}
    assert summary["total"] == 5
    assert [(e["object_id"], e["message"], e["attempts"]) for e in summary["errors"]] == [
        (invoices[2].pk, "Organisation is not subscribed to currency JPY", 1)
    ]


@pytest.mark.services
def test_the_sweep_hands_back_dead_leases_for_a_look_up_and_starts_one_lane_per_due_channel(store, clean_redis):
    from accounting.sync.schedule.lanes import sync_sweep

    sending = AccountingChannelFactory.create(store=store, is_active=True, connection_state="connected")
    idle = AccountingChannelFactory.create(store=StoreFactory.create(), is_active=False, connection_state="connected")
    InvoiceFactory.create(store=idle.store)
    dead, alive = InvoiceFactory.create(store=store), InvoiceFactory.create(store=store)
    past, future = timezone.now() - dt.timedelta(seconds=1), timezone.now() + dt.timedelta(minutes=1)
    SyncRecord.objects.filter(object_id=dead.pk).update(state=SyncState.IN_FLIGHT, lease_until=past, claim="c1")
    SyncRecord.objects.filter(object_id=alive.pk).update(state=SyncState.IN_FLIGHT, lease_until=future, claim="c2")

    assert sync_sweep() == 1  # the sending channel only; the inactive one waits
    assert sync_sweep() == 0  # its lane is taken until the queued turn runs

    reclaimed = SyncRecord.objects.get(channel=sending, object_id=dead.pk)
    assert (reclaimed.state, reclaimed.needs_lookup, reclaimed.claim) == (SyncState.PENDING, True, "")
    assert SyncRecord.objects.get(channel=sending, object_id=alive.pk).state == SyncState.IN_FLIGHT
    assert clean_redis.llen("sync") == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_lost_broker_message_leaves_the_row_for_the_sweep_to_dispatch_again(clean_redis, settings):
    from accounting.sync.schedule.lanes import sync_sweep

    settings.SYNC_LANE_TTL = 1
    with transaction.atomic():  # commits: the wake-up queues one turn
        channel = AccountingChannelFactory.create(is_active=True, connection_state="connected")
        invoice = InvoiceFactory.create(store=channel.store)
    assert clean_redis.llen("sync") == 1
    clean_redis.delete("sync")  # the message is lost (broker restarted without persistence)

    time.sleep(1.1)  # the lane's hold runs out
    assert sync_sweep() == 1

    assert clean_redis.llen("sync") == 1
    assert SyncRecord.objects.get(channel=channel, object_id=invoice.pk).state == SyncState.PENDING


def test_retry_all_requeues_a_channels_failed_rows_in_one_update_without_loading_their_ids(store):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounting.sync.ledger.actions import sync_retry_channel

    channel = AccountingChannelFactory.create(store=store)
    invoices = [InvoiceFactory.create(store=store) for _ in range(3)]
    SyncRecord.objects.filter(channel=channel).update(state=SyncState.FAILED, next_attempt_at=None, attempt_count=12)

    with CaptureQueriesContext(connection) as queries:
        assert sync_retry_channel(channel_id=channel.pk) == 3

    statements = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("SELECT", "UPDATE"))]
    assert len(statements) == 2  # the channels to wake, then one UPDATE
    assert statements[1].startswith("UPDATE") and "SELECT" in statements[1]
    assert set(
        SyncRecord.objects.filter(object_id__in=[i.pk for i in invoices]).values_list("state", "attempt_count")
    ) == {(SyncState.PENDING, 0)}

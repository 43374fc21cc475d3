"""Recording a batch's outcomes with one statement: what each ledger row and its history become.

No Xero here: rows are claimed as a turn claims them and given the outcomes a turn would get.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting.sync.models import AttemptOutcome, RecordKind, SyncAttempt, SyncRecord, SyncState
from accounting.sync.push.invoices import _numbers_remember
from accounting.sync.push.outcomes import records_finish, rejected, synced
from accounting.sync.schedule.turn import leases_reclaim, rows_claim
from stores.services import invoice_create, invoice_update
from tests.factories import AccountingChannelFactory

pytestmark = pytest.mark.django_db


def new_invoice(store, number: str):
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("3.00")}
    return invoice_create(
        store=store, number=number, customer_name="Bo", issue_date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 12, 2), lines=[line],
    )  # fmt: skip


@pytest.fixture
def channel(store):
    return AccountingChannelFactory.create(store=store)


def test_a_batch_of_fifty_outcomes_is_written_with_the_same_few_statements_as_a_batch_of_two(store, channel):
    invoices = [new_invoice(store, f"INV-{n:03d}") for n in range(52)]
    counts = []
    for limit in (2, 50):
        rows = rows_claim(channel=channel, kind=RecordKind.INVOICE, limit=limit)
        assert len(rows) == limit
        outcomes = {
            row.pk: synced(xero_id=f"x-{row.object_id}", payload_hash="h", xero_status="AUTHORISED") for row in rows
        }
        with CaptureQueriesContext(connection) as queries:
            records_finish(rows=rows, outcomes=outcomes, idempotency_key="key-1")
        counts.append(len(queries))

    assert counts[0] == counts[1]
    saved = SyncRecord.objects.filter(channel=channel)
    assert saved.filter(state=SyncState.SYNCED).count() == 52
    row = saved.get(object_id=invoices[51].pk)
    assert (row.xero_id, row.payload_hash, row.xero_status, row.claim, row.lease_until) == (
        f"x-{invoices[51].pk}",
        "h",
        "AUTHORISED",
        "",
        None,
    )
    assert row.synced_at is not None and row.next_attempt_at is None
    attempts = SyncAttempt.objects.filter(record__channel=channel)
    assert attempts.count() == 52
    assert set(attempts.values_list("outcome", "http_status", "idempotency_key")) == {(AttemptOutcome.OK, 200, "key-1")}


def test_a_record_changed_while_its_row_was_in_flight_goes_back_to_pending_due_now(store, channel):
    changed, unchanged = new_invoice(store, "INV-1"), new_invoice(store, "INV-2")
    rows = rows_claim(channel=channel, kind=RecordKind.INVOICE)
    invoice_update(invoice=changed, customer_name="Someone else")

    before = timezone.now()
    records_finish(rows=rows, outcomes={row.pk: synced(xero_id=f"x-{row.object_id}", payload_hash="h") for row in rows})

    again = SyncRecord.objects.get(channel=channel, object_id=changed.pk)
    assert again.state == SyncState.PENDING
    assert again.xero_id == f"x-{changed.pk}"  # the update goes to the invoice Xero now holds
    assert again.next_attempt_at is not None
    assert before <= again.next_attempt_at <= timezone.now()
    assert SyncRecord.objects.get(channel=channel, object_id=unchanged.pk).state == SyncState.SYNCED
    in_memory = {row.object_id: row.state for row in rows}
    assert in_memory == {changed.pk: SyncState.PENDING, unchanged.pk: SyncState.SYNCED}


def test_a_late_answer_leaves_a_row_another_turn_took_over_and_records_a_refusal(store, channel):
    refused, reclaimed = new_invoice(store, "INV-1"), new_invoice(store, "INV-2")
    rows = rows_claim(channel=channel, kind=RecordKind.INVOICE)
    # The lease of one row ran out: the sweep handed it back, and another turn may send it now.
    SyncRecord.objects.filter(object_id=reclaimed.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert leases_reclaim() == 1
    other_turn = rows_claim(channel=channel, kind=RecordKind.INVOICE)
    assert [row.object_id for row in other_turn] == [reclaimed.pk]

    records_finish(
        rows=rows,
        outcomes={
            rows[0].pk: rejected(messages=["Account code '999' is not a valid code."]),
            rows[1].pk: synced(xero_id="x-late", payload_hash="h"),
        },
    )

    failed = SyncRecord.objects.get(channel=channel, object_id=refused.pk)
    assert (failed.state, failed.last_error, failed.attempt_count, failed.next_attempt_at) == (
        SyncState.FAILED, "Account code '999' is not a valid code.", 1, None
    )  # fmt: skip
    taken_over = SyncRecord.objects.get(channel=channel, object_id=reclaimed.pk)
    assert (taken_over.state, taken_over.claim, taken_over.xero_id, taken_over.needs_lookup) == (
        SyncState.IN_FLIGHT, other_turn[0].claim, "", True
    )  # fmt: skip
    assert list(SyncAttempt.objects.values_list("record__object_id", "outcome")) == [
        (refused.pk, AttemptOutcome.VALIDATION)
    ]


def test_the_numbers_about_to_be_sent_are_saved_before_the_write(store, channel):
    first, second = new_invoice(store, "INV-1"), new_invoice(store, "INV-2")
    rows = rows_claim(channel=channel, kind=RecordKind.INVOICE)
    SyncRecord.objects.filter(object_id=second.pk).update(xero_id="x-2", payload_hash="held")
    rows = [SyncRecord.objects.get(pk=row.pk) for row in rows]

    class Payload:
        def __init__(self, number: str):
            self.invoice_number = number

    _numbers_remember([(rows[0], Payload("CP-INV-1"), "new-1"), (rows[1], Payload("CP-INV-2"), "new-2")])

    saved = dict(SyncRecord.objects.values_list("object_id", "xero_number"))
    assert saved == {first.pk: "CP-INV-1", second.pk: "CP-INV-2"}
    hashes = dict(SyncRecord.objects.values_list("object_id", "payload_hash"))
    assert hashes == {first.pk: "new-1", second.pk: "held"}  # an update keeps what Xero held

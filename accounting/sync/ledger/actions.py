"""Operator actions on the sync ledger (writes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounting.alerts.episodes import alerts_failures_evaluate
from accounting.sync.ledger.wake import sync_wake_channel
from accounting.sync.models import AttemptOutcome, Drift, RecordKind, SyncAttempt, SyncRecord, SyncState, WaitingFor

RETRYABLE_STATES = (SyncState.FAILED, SyncState.PENDING, SyncState.WAITING)


@transaction.atomic
def sync_retry(*, records: QuerySet[SyncRecord] | Iterable[SyncRecord]) -> int:
    """Send the given failed (or waiting) rows again now; return how many were queued.

    Rows in flight, synced or skipped are left alone: a synced record goes again by itself
    when it changes, and a skipped product follows its channel's "Add Products to Xero".
    """
    # A queryset stays a subquery: "retry all" of a large channel never loads its ids.
    chosen = records.values("pk") if isinstance(records, QuerySet) else [r.pk for r in records]
    rows = SyncRecord.objects.filter(pk__in=chosen, state__in=RETRYABLE_STATES)
    channel_ids = set(rows.order_by().values_list("channel_id", flat=True).distinct())
    count = rows.update(state=SyncState.PENDING, next_attempt_at=timezone.now(), attempt_count=0, waiting_for="")
    for channel_id in channel_ids:
        transaction.on_commit(lambda cid=channel_id: sync_wake_channel(channel_id=cid), robust=True)  # type: ignore[misc]
    return count


@transaction.atomic
def sync_choice_made(*, channel_id: int, waiting_for: str, invoice_ids: QuerySet[Any] | None = None) -> int:
    """Queue again the channel's rows that waited for the choice on the card `waiting_for`
    (WaitingFor), now that it was saved; return how many. With `invoice_ids` (a query of store
    invoice ids), only the rows of those invoices (the invoice, its payments and refunds). A row
    that still lacks a choice comes back to waiting on its next turn, saying what is missing."""
    rows = SyncRecord.objects.filter(channel_id=channel_id, state=SyncState.WAITING, waiting_for=waiting_for)
    in_flight = SyncRecord.objects.filter(channel_id=channel_id, state=SyncState.IN_FLIGHT)
    if invoice_ids is not None:
        of_invoices = Q(kind=RecordKind.INVOICE, object_id__in=invoice_ids) | Q(parent_id__in=invoice_ids)
        rows, in_flight = rows.filter(of_invoices), in_flight.filter(of_invoices)
    now = timezone.now()
    # A row on its way now was read before the choice: marked changed, it goes again once its
    # attempt is recorded (`rows_finish_write`) instead of coming back to wait for a choice made.
    in_flight.update(changed_at=now)
    count = rows.update(state=SyncState.PENDING, next_attempt_at=now, waiting_for="")
    if count:
        transaction.on_commit(lambda: sync_wake_channel(channel_id=channel_id), robust=True)
    return count


def sync_retry_channel(*, channel_id: int) -> int:
    """Send every failed row of a channel again; return how many were queued."""
    return sync_retry(records=SyncRecord.objects.filter(channel_id=channel_id, state=SyncState.FAILED))


# One record, from its invoice or product page ------------------------------------------------

SKIPPABLE_STATES = (SyncState.FAILED, SyncState.PENDING, SyncState.WAITING)
REASON_MAX = 500


def _operator_note(*, record: SyncRecord, text: str) -> None:
    SyncAttempt.objects.create(record=record, outcome=AttemptOutcome.LOCAL, message=text)


@transaction.atomic
def sync_record_skip(*, record: SyncRecord, by: str, reason: str = "") -> bool:
    """Stop sending one failed or pending row until it is retried; note who and why as an attempt.

    Return False (and change nothing) when the row is in flight, synced or already skipped.
    """
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        raise ValidationError(f"The reason is too long: at most {REASON_MAX} characters.")
    note = f"Skipped by {by}" + (f": {reason}" if reason else ".")
    rows = SyncRecord.objects.filter(pk=record.pk, state__in=SKIPPABLE_STATES)
    if not rows.update(state=SyncState.SKIPPED, next_attempt_at=None, last_error=note, waiting_for=""):
        return False
    _operator_note(record=record, text=note)
    alerts_failures_evaluate(channel_id=record.channel_id)
    return True


@transaction.atomic
def sync_record_retry(*, record: SyncRecord, by: str) -> bool:
    """Send one failed, pending or skipped row again now; note who asked as an attempt.

    A product skipped because its channel's "Add Products to Xero" is off stays skipped (a
    ValidationError says so). Return False when the row is in flight or synced.
    """
    if record.kind == RecordKind.PRODUCT and record.state == SyncState.SKIPPED and not record.channel.add_products:
        raise ValidationError("Add Products to Xero is off for this channel: turn it on to send products.")
    rows = SyncRecord.objects.filter(pk=record.pk, state__in=(*RETRYABLE_STATES, SyncState.SKIPPED))
    if not rows.update(state=SyncState.PENDING, next_attempt_at=timezone.now(), attempt_count=0, waiting_for=""):
        return False
    _operator_note(record=record, text=f"Retried by {by}.")
    transaction.on_commit(lambda: sync_wake_channel(channel_id=record.channel_id), robust=True)
    return True


@transaction.atomic
def sync_skip(*, records: QuerySet[SyncRecord], by: str, reason: str = "") -> int:
    """Skip every failed or pending row of `records` (e.g. all failures of one cause) as
    `sync_record_skip` skips one, noting who and why on each; return how many were skipped.

    Two statements whatever the number of rows.
    """
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        raise ValidationError(f"The reason is too long: at most {REASON_MAX} characters.")
    note = f"Skipped by {by}" + (f": {reason}" if reason else ".")
    rows = SyncRecord.objects.filter(pk__in=records.values("pk"), state__in=SKIPPABLE_STATES)
    ids = list(rows.select_for_update().values_list("pk", flat=True))
    count = SyncRecord.objects.filter(pk__in=ids).update(
        state=SyncState.SKIPPED, next_attempt_at=None, last_error=note, waiting_for=""
    )
    SyncAttempt.objects.bulk_create(
        [SyncAttempt(record_id=pk, outcome=AttemptOutcome.LOCAL, message=note) for pk in ids], batch_size=1000
    )
    return count


# Drift: a record changed in Xero after it was sent ----------------------------------------------


class DriftChoice:
    STORE = "store"  # the store's version is sent over Xero's
    XERO = "xero"  # Xero's version stands: the store's pending change is not sent


@transaction.atomic
def drift_settle(*, record: SyncRecord, choice: str, by: str) -> bool:
    """Settle an open drift of one row as the operator chose; note who and what as an attempt.

    Store wins (a changed invoice only: Xero cannot un-void): the row is sent again now, whatever
    its hash says. Xero wins: the drift is closed and a store change that waited is not sent (the
    row counts as synced). Return False when the row has no open drift.
    """
    if choice not in (DriftChoice.STORE, DriftChoice.XERO):
        raise ValidationError("Choose whether the store's or Xero's version stands.")
    row = SyncRecord.objects.select_for_update().filter(pk=record.pk).first()
    if row is None or not row.xero_drift or row.drift_settled_at is not None:
        return False
    if choice == DriftChoice.STORE and row.xero_drift != Drift.CHANGED:
        raise ValidationError("Xero cannot make a voided or deleted invoice current again: Xero's version stands.")
    if row.state == SyncState.IN_FLIGHT:
        raise ValidationError("This record is being sent right now: choose again in a moment.")
    now = timezone.now()
    fields: dict[str, Any] = {"drift_settled_at": now, "updated_at": now}
    if choice == DriftChoice.STORE:
        fields |= {"state": SyncState.PENDING, "next_attempt_at": now, "payload_hash": "", "attempt_count": 0,
                   "waiting_for": "", "last_error": ""}  # fmt: skip
        note = f"Store wins, chosen by {by}: the store's version is sent to Xero over Xero's change."
        transaction.on_commit(lambda: sync_wake_channel(channel_id=row.channel_id), robust=True)
    else:
        if row.state == SyncState.WAITING and row.waiting_for == WaitingFor.DRIFT:
            fields |= {"state": SyncState.SYNCED, "next_attempt_at": None, "waiting_for": "", "last_error": ""}
        note = f"Xero wins, chosen by {by}: Xero's version stands" + (
            "; the store's change was not sent." if row.xero_drift == Drift.CHANGED else "."
        )
    SyncRecord.objects.filter(pk=row.pk).update(**fields)
    _operator_note(record=row, text=note)
    return True

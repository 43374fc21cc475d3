"""The operator's action on one difference of a reconciliation: send again, or accept Xero's.

"send": the store's version goes to Xero again through the ledger (a record never sent or
failed is queued again; one Xero holds differently is sent over it, store wins). "accept": Xero's
version stands (a void is followed by the store; a changed total is accepted and no longer listed
by later reconciliations). "open" is a link to Xero, not an action here. Each action is noted on
the difference (`done`) and on the record's ledger history.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounting.checks.reconcile.compare import Kind
from accounting.providers.xero.values import XeroStatus
from accounting.sync.ledger.actions import (
    RETRYABLE_STATES,
    DriftChoice,
    drift_settle,
    sync_record_retry,
    sync_retry,
)
from accounting.sync.ledger.wake import sync_wake_channel
from accounting.sync.models import (
    AttemptOutcome,
    Drift,
    Reconciliation,
    RecordKind,
    SyncAttempt,
    SyncRecord,
    SyncState,
)
from stores.models import Invoice, InvoiceStatus
from stores.services import invoice_void

_KINDS = {
    "invoice": RecordKind.INVOICE,
    "payment": RecordKind.PAYMENT,
    "refund": RecordKind.REFUND,
    "payout": RecordKind.PAYOUT,
    "summary": RecordKind.SUMMARY,
}


def difference_act(*, reconciliation: Reconciliation, index: int, action: str, by: str) -> str:
    """Carry out `action` on difference number `index`; return what was done (a sentence).

    Raise ValidationError (nothing changed) for an unknown difference or an action it does not offer.
    """
    differences = reconciliation.differences or []
    if not 0 <= index < len(differences):
        raise ValidationError("There is no such difference in this reconciliation.")
    difference = differences[index]
    if action not in difference.get("actions", []) or action == "open":
        raise ValidationError("This action is not offered for this difference.")
    if difference.get("done"):
        raise ValidationError(f"Already done: {difference['done']}")
    record = difference["record"]
    with transaction.atomic():
        row = (
            SyncRecord.objects.select_for_update()
            .filter(channel_id=reconciliation.channel_id, kind=_KINDS[record["type"]], object_id=record["id"])
            .first()
        )
        if row is None:
            raise ValidationError("This record has no row in the channel's ledger: it cannot be sent from here.")
        if action == "send":
            done = _send(row=row, difference=difference, by=by)
        else:
            done = _accept(row=row, difference=difference, by=by)
        fresh = Reconciliation.objects.select_for_update().get(pk=reconciliation.pk)
        fresh.differences[index]["done"] = done
        Reconciliation.objects.filter(pk=fresh.pk).update(differences=fresh.differences)
        reconciliation.differences = fresh.differences
    return done


def _send(*, row: SyncRecord, difference: dict, by: str) -> str:  # type: ignore[type-arg]
    kind = difference["kind"]
    if kind == Kind.PAID_IN_STORE_NOT_XERO:
        payments = SyncRecord.objects.filter(
            channel_id=row.channel_id, kind=RecordKind.PAYMENT, parent_id=row.object_id, state__in=RETRYABLE_STATES
        )
        count = sync_retry(records=payments)
        return f"{count} payment(s) queued for Xero again by {by}." if count else "No payment of it waits to be sent."
    if row.xero_id and kind in (Kind.TOTAL_DIFFERS, Kind.VOID_IN_STORE_ONLY):
        # Store wins: Xero holds it differently; send the store's version over it.
        if row.state == SyncState.IN_FLIGHT:
            raise ValidationError("This record is being sent right now: try again in a moment.")
        now = timezone.now()
        SyncRecord.objects.filter(pk=row.pk).update(
            state=SyncState.PENDING, next_attempt_at=now, payload_hash="", attempt_count=0, waiting_for="",
            last_error="", drift_settled_at=now if row.xero_drift else None, updated_at=now,
        )  # fmt: skip
        note = f"Store wins, chosen by {by} in a reconciliation: the store's version is sent to Xero again."
        SyncAttempt.objects.create(record=row, outcome=AttemptOutcome.LOCAL, message=note)
        transaction.on_commit(lambda: sync_wake_channel(channel_id=row.channel_id), robust=True)
        return f"Sent again (store wins) by {by}."
    if not sync_record_retry(record=row, by=by):
        raise ValidationError(f"Nothing to send: the record is {row.get_state_display().lower()} now.")
    return f"Queued for Xero again by {by}."


def _accept(*, row: SyncRecord, difference: dict, by: str) -> str:  # type: ignore[type-arg]
    kind = difference["kind"]
    now = timezone.now()
    if kind in (Kind.VOIDED_IN_XERO, Kind.DELETED_IN_XERO) and row.kind == RecordKind.INVOICE:
        invoice = Invoice.objects.filter(pk=row.object_id).first()
        if invoice is not None and invoice.status != InvoiceStatus.VOID:
            invoice_void(invoice=invoice, when=now)
            status = XeroStatus.DELETED if kind == Kind.DELETED_IN_XERO else XeroStatus.VOIDED
            drift = Drift.DELETED if kind == Kind.DELETED_IN_XERO else Drift.VOIDED
            SyncRecord.objects.filter(pk=row.pk).update(
                xero_status=status, xero_drift=drift, xero_drift_at=row.xero_drift_at or now, drift_settled_at=now
            )
            note = f"Xero wins, chosen by {by} in a reconciliation: the store invoice was voided as Xero's is."
            SyncAttempt.objects.create(record=row, outcome=AttemptOutcome.LOCAL, message=note)
            return f"The store invoice was voided, as in Xero (by {by})."
        if row.drift_open:
            drift_settle(record=row, choice=DriftChoice.XERO, by=by)
        return f"Xero's void acknowledged by {by}."
    if kind == Kind.TOTAL_DIFFERS and row.kind == RecordKind.INVOICE:
        store, xero = difference.get("store", {}), difference.get("xero", {})
        text = f"total {xero.get('total')} in Xero, {store.get('total')} in the store"
        SyncRecord.objects.filter(pk=row.pk).update(
            xero_drift=Drift.CHANGED, xero_drift_at=row.xero_drift_at or now, xero_drift_note=text[:255],
            drift_settled_at=now,
        )  # fmt: skip
        note = f"Xero wins, chosen by {by} in a reconciliation: Xero's {text} stands."
        SyncAttempt.objects.create(record=row, outcome=AttemptOutcome.LOCAL, message=note)
        return f"Xero's version accepted by {by}."
    raise ValidationError("This action is not offered for this difference.")

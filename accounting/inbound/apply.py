"""Applying what Xero holds for an invoice the channel sent to its store invoice.

- a payment made in Xero becomes a store payment (source "xero", Xero's PaymentID as its
  dedupe key, Xero's date, method "xero");
- a VOIDED or DELETED invoice voids the store invoice, dated when Xero changed it, and its ledger
  row says so (`xero_drift`: "voided in Xero on …");
- an invoice changed in Xero after it was sent (its total or date no longer the store's) is
  marked CHANGED: a later store change to it waits for the operator's choice (store wins / Xero
  wins) instead of being sent over Xero's (`accounting.sync.ledger.writes`, `drift_settle`).

Echoes are never imported: a Xero payment the portal sent itself is known by the PaymentID
the sync ledger stored for it (`RecordKind` "payment" rows, `xero_id`); while a store payment
of the invoice is still on its way to Xero (its ledger row not yet synced), Xero's payments of
that invoice wait (the event stays pending) instead of being guessed at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounting.models import AccountingChannel
from accounting.providers.xero.values import CLOSED, XeroStatus, text
from accounting.sync.models import Drift, RecordKind, SyncAction, SyncRecord, SyncState
from stores.models import Invoice as StoreInvoice
from stores.models import InvoiceStatus, PaymentSource
from stores.payments import payment_record
from stores.services import invoice_void

# The ledger kind of payments the portal sends.
PAYMENT_KIND = RecordKind.PAYMENT
# The store payment method of payments made in Xero.
XERO_METHOD = "xero"


def aware(value: dt.datetime) -> dt.datetime:
    """Return Xero's timestamp as an aware datetime (Xero's UTC dates come naive from the SDK)."""
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


@dataclass
class Applied:
    summary: str = ""
    error: bool = False
    deferred: bool = False  # a store payment is on its way to Xero: look again later


def xero_invoices_apply(*, channel: AccountingChannel, invoices: list[Any]) -> dict[str, Applied]:
    """Apply each Xero invoice this channel sent to its store invoice; return what happened per InvoiceID."""
    ids = [str(i.invoice_id) for i in invoices if i.invoice_id]
    rows = {
        row.xero_id: row for row in SyncRecord.objects.filter(channel=channel, kind=RecordKind.INVOICE, xero_id__in=ids)
    }
    results: dict[str, Applied] = {}
    for invoice in invoices:
        row = rows.get(str(invoice.invoice_id))
        if row is None:
            continue
        try:
            results[row.xero_id] = _apply_one(channel=channel, row=row, xero_invoice=invoice)
        except ValidationError as exc:
            results[row.xero_id] = Applied(summary=" ".join(exc.messages), error=True)
    return results


def _apply_one(*, channel: AccountingChannel, row: SyncRecord, xero_invoice: Any) -> Applied:
    done: list[str] = []
    with transaction.atomic():
        store_invoice = StoreInvoice.objects.select_for_update().filter(pk=row.object_id).first()
        if store_invoice is None:
            return Applied(summary="The store invoice was deleted.")
        status = text(xero_invoice.status)
        when = aware(xero_invoice.updated_date_utc) if xero_invoice.updated_date_utc else timezone.now()
        if status in CLOSED:
            drift: dict[str, Any] = {}
            if store_invoice.status != InvoiceStatus.VOID:
                invoice_void(invoice=store_invoice, when=when)
                done.append(f"voided ({status.lower()} in Xero)")
                # The store followed Xero; the ledger and the pages say it came from Xero, and when.
                kind = Drift.DELETED if status == XeroStatus.DELETED else Drift.VOIDED
                drift = {"xero_drift": kind, "xero_drift_at": when, "xero_drift_note": "", "drift_settled_at": None}
            # Xero holds it void: nothing of it is to be sent again (see invoices._sendable).
            SyncRecord.objects.filter(pk=row.pk).update(xero_status=status, **drift)
            return Applied(summary="; ".join(done) or "already void")
        changed = _changed_in_xero(row=row, store_invoice=store_invoice, xero_invoice=xero_invoice, when=when)
        if changed:
            SyncRecord.objects.filter(pk=row.pk).update(
                xero_drift=Drift.CHANGED, xero_drift_at=when, xero_drift_note=changed[:255], drift_settled_at=None
            )
            done.append(f"changed in Xero ({changed})")
        payments = [p for p in (xero_invoice.payments or []) if p.payment_id and text(p.status) != XeroStatus.DELETED]
        if not payments:
            return Applied(summary="; ".join([*done, "no payment in Xero"]))
        xero_ids = [str(p.payment_id) for p in payments]
        ours = set(
            SyncRecord.objects.filter(channel=channel, kind=PAYMENT_KIND, xero_id__in=xero_ids).values_list(
                "xero_id", flat=True
            )
        )
        known = set(
            store_invoice.payments.filter(xero_payment_id__in=xero_ids).values_list("xero_payment_id", flat=True)
        )
        new = [p for p in payments if str(p.payment_id) not in ours | known]
        if not new:
            return Applied(summary="; ".join([*done, "payments already known"]))
        if _store_payment_on_its_way(channel=channel, invoice=store_invoice):
            return Applied(summary="a store payment is on its way to Xero", deferred=True)
        for payment in new:
            amount = Decimal(str(payment.amount)).quantize(Decimal("0.01"))
            try:
                with transaction.atomic():
                    recorded = payment_record(
                        invoice=store_invoice,
                        amount=amount,
                        date=payment.date or timezone.now().date(),
                        method=XERO_METHOD,
                        reference=(payment.reference or "")[:255],
                        source=PaymentSource.XERO,
                        xero_payment_id=str(payment.payment_id),
                    )
                    _ledger_holds(channel=channel, payment_id=recorded.pk, xero_id=str(payment.payment_id))
            except IntegrityError:
                continue  # another worker recorded it meanwhile (unique per invoice)
            done.append(f"payment of {amount} on {payment.date}")
    return Applied(summary="recorded " + ", ".join(done) if done else "payments already known")


def _changed_in_xero(*, row: SyncRecord, store_invoice: StoreInvoice, xero_invoice: Any, when: dt.datetime) -> str:
    """Return what differs between Xero's invoice and the store's ("" when nothing does), for an
    invoice Xero changed after the channel last sent it and whose store version is all in Xero
    (its row synced: a store change on its way would explain a difference)."""
    if row.state != SyncState.SYNCED or row.synced_at is None or when <= row.synced_at:
        return ""
    if row.xero_drift == Drift.CHANGED and row.drift_settled_at is None:
        return ""  # already open: the operator has not chosen yet
    found: list[str] = []
    if xero_invoice.total is not None:
        total = Decimal(str(xero_invoice.total)).quantize(Decimal("0.01"))
        if total != store_invoice.total:
            found.append(f"total {total} in Xero, {store_invoice.total} in the store")
    if xero_invoice.date and xero_invoice.date != store_invoice.issue_date:
        found.append(f"date {xero_invoice.date:%d %b %Y} in Xero, {store_invoice.issue_date:%d %b %Y} in the store")
    return "; ".join(found)


def _ledger_holds(*, channel: AccountingChannel, payment_id: int, xero_id: str) -> None:
    """Record in the sync ledger that Xero holds this payment already (it came from there), so
    the payments sync never sends it back, whatever a signal queued for it meanwhile."""
    now = timezone.now()
    SyncRecord.objects.update_or_create(
        channel=channel, kind=PAYMENT_KIND, object_id=payment_id, action=SyncAction.PUSH,
        defaults={"state": SyncState.SYNCED, "xero_id": xero_id, "next_attempt_at": None, "synced_at": now,
                  "needs_lookup": False, "last_error": ""},
    )  # fmt: skip


def _store_payment_on_its_way(*, channel: AccountingChannel, invoice: StoreInvoice) -> bool:
    """Return whether a payment recorded in the store is still being sent to Xero by this channel
    (its PaymentID is not known yet, so Xero's payments of the invoice cannot be told apart)."""
    store_payments = invoice.payments.filter(source=PaymentSource.STORE).values("pk")
    return SyncRecord.objects.filter(
        channel=channel,
        kind=PAYMENT_KIND,
        object_id__in=store_payments,
        state__in=[SyncState.PENDING, SyncState.IN_FLIGHT],
    ).exists()

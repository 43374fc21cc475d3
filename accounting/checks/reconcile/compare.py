"""The store's books beside what Xero holds for what a channel sent: totals and differences.

`store_books` reads the store's records of a date range with their ledger rows (a few queries);
`compare` takes those and Xero's records (`Held`, keyed by Xero id) and returns the totals per
day and currency and every difference by record. Pure: no Xero call, no write.

A difference: {"kind", "record": {"type", "id", "number", "date"}, "store": {...}, "xero": {...},
"message", "actions": ["send" | "accept" | "open"], "xero_url"}.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accounting.models import AccountingChannel
from accounting.providers.xero.holdings import Held
from accounting.providers.xero.links import xero_credit_note_url, xero_invoice_url
from accounting.providers.xero.values import CLOSED, XeroStatus
from accounting.sync.models import SUMMARISED, DailySummary, Drift, RecordKind, SyncRecord, SyncState
from stores.models import Invoice, InvoiceStatus, Payment, Payout, Refund

ZERO = Decimal("0.00")


class Kind:
    """The kinds of difference."""

    MISSING_IN_XERO = "missing_in_xero"
    TOTAL_DIFFERS = "total_differs"
    VOIDED_IN_XERO = "voided_in_xero"
    DELETED_IN_XERO = "deleted_in_xero"
    VOID_IN_STORE_ONLY = "void_in_store_only"
    PAID_IN_XERO_NOT_STORE = "paid_in_xero_not_store"
    PAID_IN_STORE_NOT_XERO = "paid_in_store_not_xero"
    PAYMENT_MISSING = "payment_missing"
    CREDIT_NOTE_MISSING = "credit_note_missing"
    PAYOUT_MISSING = "payout_missing"


MESSAGES = {
    Kind.MISSING_IN_XERO: "Not in Xero",
    Kind.TOTAL_DIFFERS: "Total differs",
    Kind.VOIDED_IN_XERO: "Voided in Xero",
    Kind.DELETED_IN_XERO: "Deleted in Xero",
    Kind.VOID_IN_STORE_ONLY: "Void in the store, not in Xero",
    Kind.PAID_IN_XERO_NOT_STORE: "Paid in Xero, not in the store",
    Kind.PAID_IN_STORE_NOT_XERO: "Paid in the store, not in Xero",
    Kind.PAYMENT_MISSING: "Payment not in Xero",
    Kind.CREDIT_NOTE_MISSING: "Credit note not in Xero",
    Kind.PAYOUT_MISSING: "Payout not in Xero",
}


@dataclass
class StoreBooks:
    """A channel's store records of a date range, each with its ledger row (None: never queued)."""

    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    summaries: list[DailySummary] = field(default_factory=list)
    rows: dict[tuple[str, int], SyncRecord] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.invoices) + len(self.payments) + len(self.refunds) + len(self.payouts)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "invoices": len(self.invoices), "payments": len(self.payments), "refunds": len(self.refunds),
            "payouts": len(self.payouts), "summaries": len(self.summaries),
        }  # fmt: skip

    def row(self, kind: str, object_id: int) -> SyncRecord | None:
        return self.rows.get((kind, object_id))


# What `compare` reads of a ledger row.
_ROW_FIELDS = (
    "id", "kind", "object_id", "state", "xero_id", "xero_status", "last_error", "xero_drift", "xero_drift_at",
    "drift_settled_at",
)  # fmt: skip


def _ranges(channel: AccountingChannel, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    store_id, dates = channel.store_id, {"date__gte": date_from, "date__lte": date_to}
    return {
        "invoices": Invoice.objects.filter(
            store_id=store_id, issue_date__gte=date_from, issue_date__lte=date_to
        ).exclude(status=InvoiceStatus.DRAFT),
        "payments": Payment.objects.filter(invoice__store_id=store_id, **dates),
        "refunds": Refund.objects.filter(invoice__store_id=store_id, **dates),
        "payouts": Payout.objects.filter(store_id=store_id, **dates),
        "summaries": DailySummary.objects.filter(channel=channel, day__gte=date_from, day__lte=date_to),
    }


def store_counts(*, channel: AccountingChannel, date_from: dt.date, date_to: dt.date) -> dict[str, int]:
    """Return how many of each the store has in the range (the estimate before a run). Five counts."""
    return {name: records.count() for name, records in _ranges(channel, date_from, date_to).items()}


def store_books(*, channel: AccountingChannel, date_from: dt.date, date_to: dt.date) -> StoreBooks:
    """Read the store's invoices, payments, refunds, payouts and the channel's daily summaries dated
    in the range, and the channel's ledger rows of them: five queries, then one per kind that has
    records (and per 10,000 of them)."""
    ranges = _ranges(channel, date_from, date_to)
    books = StoreBooks(
        invoices=list(
            ranges["invoices"]
            .only("pk", "number", "issue_date", "currency", "total", "status", "amount_paid")
            .order_by("issue_date", "pk")
        ),
        payments=list(
            ranges["payments"]
            .select_related("invoice")
            .only("pk", "amount", "date", "method", "invoice__number", "invoice__currency")
            .order_by("date", "pk")
        ),
        refunds=list(
            ranges["refunds"]
            .select_related("invoice")
            .only("pk", "amount", "date", "invoice__number", "invoice__currency")
            .order_by("date", "pk")
        ),
        payouts=list(ranges["payouts"].order_by("date", "pk")),
        summaries=list(ranges["summaries"]),
    )
    wanted = {
        RecordKind.INVOICE: [i.pk for i in books.invoices],
        RecordKind.PAYMENT: [p.pk for p in books.payments],
        RecordKind.REFUND: [r.pk for r in books.refunds],
        RecordKind.PAYOUT: [p.pk for p in books.payouts],
        RecordKind.SUMMARY: [s.pk for s in books.summaries],
    }
    for kind, ids in wanted.items():
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            for row in SyncRecord.objects.filter(channel=channel, kind=kind, object_id__in=chunk).only(*_ROW_FIELDS):
                books.rows[(kind, row.object_id)] = row
    return books


@dataclass
class Result:
    totals: list[dict[str, Any]]
    differences: list[dict[str, Any]]
    accepted: int = 0  # differences the operator accepted (Xero wins) earlier, not listed


class _Totals:
    def __init__(self) -> None:
        self.sums: dict[tuple[str, str], dict[str, dict[str, Decimal]]] = defaultdict(
            lambda: {"store": defaultdict(lambda: ZERO), "xero": defaultdict(lambda: ZERO)}
        )

    def add(self, day: dt.date, currency: str, what: str, *, store: Decimal, xero: Decimal) -> None:
        sums = self.sums[(day.isoformat(), currency)]
        sums["store"][what] += store
        sums["xero"][what] += xero

    def rows(self) -> list[dict[str, Any]]:
        names = ("invoices", "payments", "refunds", "payouts")
        return [
            {
                "date": day,
                "currency": currency,
                "store": {n: str(sums["store"][n]) for n in names},
                "xero": {n: str(sums["xero"][n]) for n in names},
                "differs": any(sums["store"][n] != sums["xero"][n] for n in names),
            }
            for (day, currency), sums in sorted(self.sums.items())
        ]


def _live(held: Held | None) -> Decimal:
    """What a Xero record counts for in the totals: nothing once voided or deleted."""
    return held.total if held is not None and held.status not in CLOSED else ZERO


def compare(
    *, channel: AccountingChannel, books: StoreBooks, held: dict[str, Held], api_url: str | None = None
) -> Result:
    """Return the totals per day and currency and every difference between the store and Xero."""
    totals = _Totals()
    found: list[dict[str, Any]] = []
    accepted = 0
    tenant = channel.tenant_id

    def diff(kind: str, record: dict[str, Any], store: dict[str, Any], xero: dict[str, Any] | None, *,
             actions: Iterable[str], url: str = "", note: str = "") -> None:  # fmt: skip
        message = MESSAGES[kind] + (f": {note}" if note else "")
        found.append({
            "kind": kind, "record": record, "store": store, "xero": xero or {}, "message": message,
            "actions": [*actions, *(["open"] if url else [])], "xero_url": url,
        })  # fmt: skip

    for invoice in books.invoices:
        row = books.row(RecordKind.INVOICE, invoice.pk)
        record = {"type": "invoice", "id": invoice.pk, "number": invoice.number, "date": invoice.issue_date.isoformat()}
        store_total = ZERO if invoice.status == InvoiceStatus.VOID else invoice.total
        store = {"total": str(invoice.total), "status": invoice.get_status_display(), "paid": str(invoice.amount_paid)}
        if row is not None and row.xero_status == SUMMARISED:
            totals.add(invoice.issue_date, invoice.currency, "invoices", store=store_total, xero=ZERO)
            continue  # in the day's summary: compared as the summary
        found_in_xero = held.get(row.xero_id) if row is not None and row.xero_id else None
        totals.add(invoice.issue_date, invoice.currency, "invoices", store=store_total, xero=_live(found_in_xero))
        url = xero_invoice_url(invoice_id=row.xero_id, tenant_id=tenant, api_url=api_url) if row and row.xero_id else ""
        if found_in_xero is None:
            if invoice.status == InvoiceStatus.VOID and (row is None or not row.xero_id):
                continue  # voided before it was ever sent: nothing is owed to Xero
            note = _not_sent_note(row)
            diff(Kind.MISSING_IN_XERO, record, store, None, actions=_send_if(row), url=url, note=note)
            continue
        xero = {"total": str(found_in_xero.total), "status": found_in_xero.status,
                "paid": str(found_in_xero.amount_paid)}  # fmt: skip
        if found_in_xero.status in CLOSED:
            kind = Kind.DELETED_IN_XERO if found_in_xero.status == XeroStatus.DELETED else Kind.VOIDED_IN_XERO
            if invoice.status != InvoiceStatus.VOID or (row is not None and row.drift_open):
                note = "the store followed Xero" if invoice.status == InvoiceStatus.VOID else ""
                diff(kind, record, store, xero, actions=["accept"], url=url, note=note)
            continue
        if invoice.status == InvoiceStatus.VOID:
            diff(Kind.VOID_IN_STORE_ONLY, record, store, xero, actions=_send_if(row), url=url)
            continue
        if found_in_xero.total != invoice.total:
            if row is not None and row.xero_drift == Drift.CHANGED and not row.drift_open:
                accepted += 1  # the operator chose Xero's version
            else:
                diff(Kind.TOTAL_DIFFERS, record, store, xero, actions=["send", "accept"], url=url)
            continue
        if found_in_xero.amount_paid > invoice.amount_paid:
            diff(Kind.PAID_IN_XERO_NOT_STORE, record, store, xero, actions=[], url=url)
        elif found_in_xero.amount_paid < invoice.amount_paid:
            diff(Kind.PAID_IN_STORE_NOT_XERO, record, store, xero, actions=["send"], url=url)

    for payment in books.payments:
        row = books.row(RecordKind.PAYMENT, payment.pk)
        currency = payment.invoice.currency
        record = {"type": "payment", "id": payment.pk, "number": payment.invoice.number,
                  "date": payment.date.isoformat(), "invoice_id": payment.invoice_id}  # fmt: skip
        if row is not None and row.xero_status == SUMMARISED:
            totals.add(payment.date, currency, "payments", store=payment.amount, xero=payment.amount)
            continue  # one of the day summary's payments per method
        found_in_xero = held.get(row.xero_id) if row is not None and row.xero_id else None
        xero_amount = found_in_xero.total if found_in_xero and found_in_xero.status != XeroStatus.DELETED else ZERO
        totals.add(payment.date, currency, "payments", store=payment.amount, xero=xero_amount)
        store = {"amount": str(payment.amount), "method": payment.method}
        if found_in_xero is None or found_in_xero.status == XeroStatus.DELETED:
            note = "deleted in Xero" if found_in_xero is not None else _not_sent_note(row)
            actions = _send_if(row) if found_in_xero is None else []
            diff(Kind.PAYMENT_MISSING, record, store, _held_values(found_in_xero), actions=actions, note=note)
        elif found_in_xero.total != payment.amount:
            diff(Kind.TOTAL_DIFFERS, record, store, _held_values(found_in_xero), actions=[])

    for refund in books.refunds:
        row = books.row(RecordKind.REFUND, refund.pk)
        currency = refund.invoice.currency
        record = {"type": "refund", "id": refund.pk, "number": refund.invoice.number,
                  "date": refund.date.isoformat(), "invoice_id": refund.invoice_id}  # fmt: skip
        if row is not None and row.xero_status == SUMMARISED:
            totals.add(refund.date, currency, "refunds", store=refund.amount, xero=refund.amount)
            continue
        found_in_xero = held.get(row.xero_id) if row is not None and row.xero_id else None
        totals.add(refund.date, currency, "refunds", store=refund.amount, xero=_live(found_in_xero))
        url = ""
        if row is not None and row.xero_id:
            url = xero_credit_note_url(credit_note_id=row.xero_id, tenant_id=tenant, api_url=api_url)
        store = {"amount": str(refund.amount)}
        if found_in_xero is None or found_in_xero.status in CLOSED:
            note = found_in_xero.status.lower() + " in Xero" if found_in_xero is not None else _not_sent_note(row)
            actions = _send_if(row) if found_in_xero is None else []
            values = _held_values(found_in_xero)
            diff(Kind.CREDIT_NOTE_MISSING, record, store, values, actions=actions, url=url, note=note)
        elif found_in_xero.total != refund.amount:
            diff(Kind.TOTAL_DIFFERS, record, store, _held_values(found_in_xero), actions=[], url=url)

    for payout in books.payouts:
        row = books.row(RecordKind.PAYOUT, payout.pk)
        record = {"type": "payout", "id": payout.pk, "number": payout.reference, "date": payout.date.isoformat()}
        found_in_xero = held.get(row.xero_id) if row is not None and row.xero_id else None
        totals.add(payout.date, payout.currency, "payouts", store=payout.net, xero=_live(found_in_xero))
        store = {"net": str(payout.net), "gross": str(payout.gross), "fees": str(payout.fees)}
        if found_in_xero is None or found_in_xero.status in CLOSED:
            note = found_in_xero.status.lower() + " in Xero" if found_in_xero is not None else _not_sent_note(row)
            actions = _send_if(row) if found_in_xero is None else []
            diff(Kind.PAYOUT_MISSING, record, store, _held_values(found_in_xero), actions=actions, note=note)
        elif found_in_xero.total != payout.net:
            diff(Kind.TOTAL_DIFFERS, record, store, _held_values(found_in_xero), actions=[])

    for summary in books.summaries:
        row = books.row(RecordKind.SUMMARY, summary.pk)
        record = {"type": "summary", "id": summary.pk, "number": summary.number, "date": summary.day.isoformat()}
        found_in_xero = held.get(summary.xero_id) if summary.xero_id else None
        totals.add(summary.day, summary.currency, "invoices", store=ZERO, xero=_live(found_in_xero))
        url = xero_invoice_url(invoice_id=summary.xero_id, tenant_id=tenant, api_url=api_url)
        store = {"total": str(summary.sent_total if summary.sent_total is not None else "")}
        if found_in_xero is None:
            if summary.xero_id or (row is not None and row.state != SyncState.PENDING):
                note = _not_sent_note(row)
                diff(Kind.MISSING_IN_XERO, record, store, None, actions=_send_if(row), url=url, note=note)
        elif found_in_xero.status in CLOSED:
            diff(Kind.VOIDED_IN_XERO, record, store, _held_values(found_in_xero), actions=[], url=url)
        elif summary.sent_total is not None and found_in_xero.total != summary.sent_total:
            diff(Kind.TOTAL_DIFFERS, record, store, _held_values(found_in_xero), actions=["send"], url=url)
    return Result(totals=totals.rows(), differences=found, accepted=accepted)


def _send_if(row: SyncRecord | None) -> list[str]:
    """ "send" where the ledger can send the record again (not while it is being sent)."""
    return ["send"] if row is not None and row.state != SyncState.IN_FLIGHT else []


def _not_sent_note(row: SyncRecord | None) -> str:
    if row is None:
        return "never queued for this channel"
    if row.xero_id:
        return "Xero holds no such record for these dates"
    return {
        SyncState.PENDING: "waiting to be sent",
        SyncState.IN_FLIGHT: "being sent",
        SyncState.FAILED: "failed: " + row.last_error[:200],
        SyncState.SKIPPED: "skipped",
        SyncState.WAITING: "waiting for a choice",
    }.get(SyncState(row.state), "")


def _held_values(held: Held | None) -> dict[str, Any]:
    return {"total": str(held.total), "status": held.status} if held is not None else {}

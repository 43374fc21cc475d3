"""Reads of daily summaries for pages and the Billing API: a channel's latest summaries with their
state in Xero, and one summary with the store invoices, adjustments and payments it covers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from accounting.models import AccountingChannel
from accounting.providers.xero.links import xero_invoice_url
from accounting.sync.models import DailySummary, EntryKind, RecordKind, SummaryEntry, SyncRecord, SyncState
from channels_portal.tenancy import get_in_organization

ZERO = Decimal("0.00")
SUMMARIES_SHOWN = 10
STATES = {
    SyncState.PENDING: ("pending", "Waiting for the day to close"),
    SyncState.IN_FLIGHT: ("sending", "Sending"),
    SyncState.SYNCED: ("in_xero", "In Xero"),
    SyncState.FAILED: ("failed", "Failed"),
    SyncState.SKIPPED: ("skipped", "Skipped"),
    SyncState.WAITING: ("waiting", "Waiting for a choice"),
}


@dataclass
class SummaryView:
    summary: DailySummary
    state: str
    state_label: str
    due_at: Any
    last_error: str
    invoices: int
    total: Decimal
    paid: Decimal
    xero_url: str
    record_id: int | None = None
    entries: list[SummaryEntry] = field(default_factory=list)
    payments: list[SummaryEntry] = field(default_factory=list)

    @property
    def css(self) -> str:
        return {"in_xero": "ok", "failed": "error", "waiting": "warn", "sending": "warn"}.get(self.state, "muted")

    @property
    def adjustments(self) -> list[SummaryEntry]:
        return [entry for entry in self.entries if entry.adjusts is not None]


def _view(
    summary: DailySummary, row: SyncRecord | None, *, invoices: int, total: Decimal, paid: Decimal
) -> SummaryView:
    state, label = STATES[SyncState(row.state)] if row is not None else ("pending", "Collecting")
    return SummaryView(
        summary=summary, state=state, state_label=label, due_at=row.next_attempt_at if row else None,
        last_error=row.last_error if row else "", invoices=invoices, total=total, paid=paid,
        xero_url=xero_invoice_url(invoice_id=summary.xero_id, tenant_id=summary.channel.tenant_id),
        record_id=row.pk if row else None,
    )  # fmt: skip


def _rows(channel_id: int, ids: list[int]) -> dict[int, SyncRecord]:
    rows = SyncRecord.objects.filter(channel_id=channel_id, kind=RecordKind.SUMMARY, object_id__in=ids)
    return {row.object_id: row for row in rows}


def channel_summaries(*, channel: AccountingChannel, limit: int = SUMMARIES_SHOWN) -> list[SummaryView]:
    """Return the channel's latest daily summaries (newest day first), each with its state. Two queries."""
    summaries = list(
        DailySummary.objects.filter(channel=channel)
        .annotate(
            invoice_count=Count("entries__invoice_id", filter=Q(entries__kind=EntryKind.INVOICE), distinct=True),
            invoice_total=Sum("entries__total", filter=Q(entries__kind=EntryKind.INVOICE)),
            paid_total=Sum("entries__total", filter=Q(entries__kind=EntryKind.PAYMENT)),
        )
        .order_by("-day", "currency", "tax_mode")[:limit]
    )
    rows = _rows(channel.pk, [s.pk for s in summaries])
    views = []
    for summary in summaries:
        summary.channel = channel
        views.append(
            _view(
                summary, rows.get(summary.pk), invoices=summary.invoice_count,  # type: ignore[attr-defined]
                total=summary.invoice_total or ZERO, paid=summary.paid_total or ZERO,  # type: ignore[attr-defined]
            )
        )  # fmt: skip
    return views


def summary_page(*, summary: DailySummary) -> SummaryView:
    """Return one summary with its entries: the store invoices (and adjustments), the payments."""
    entries = list(summary.entries.order_by("kind", "adjusts", "number", "pk"))
    invoices = [entry for entry in entries if entry.kind == EntryKind.INVOICE]
    payments = [entry for entry in entries if entry.kind == EntryKind.PAYMENT]
    view = _view(
        summary, _rows(summary.channel_id, [summary.pk]).get(summary.pk),
        invoices=len({entry.invoice_id for entry in invoices}), total=sum((e.total for e in invoices), ZERO),
        paid=sum((e.total for e in payments), ZERO),
    )  # fmt: skip
    view.entries, view.payments = invoices, payments
    return view


def summary_for_member(*, organization: Any, channel_id: object, pk: object) -> DailySummary:
    """Return the summary `pk` of the channel `channel_id` of one of `organization`'s stores; Http404 otherwise."""
    return get_in_organization(
        DailySummary.objects.select_related("channel__store"),
        organization=organization,
        path="channel__store__organization",
        channel_id=channel_id,
        pk=pk,
    )

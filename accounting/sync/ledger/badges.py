"""Reads of the sync ledger for one store's records: the badges of the invoice and product lists,
and the Xero section of an invoice's or product's page (rows, Xero links, attempts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from accounting.providers.xero.links import xero_credit_note_url, xero_invoice_url, xero_item_url
from accounting.providers.xero.values import XeroStatus
from accounting.sync.models import (
    SUMMARISED,
    DailySummary,
    Drift,
    EntryKind,
    RecordKind,
    SummaryEntry,
    SyncAttempt,
    SyncRecord,
    SyncState,
)
from channels_portal.tenancy import get_in_organization
from stores.models import Store

# The badge of each ledger state: (key, label, css modifier).
_BADGES = {
    SyncState.PENDING: ("pending", "Pending", "muted"),
    SyncState.IN_FLIGHT: ("sending", "Sending", "warn"),
    SyncState.SYNCED: ("in_xero", "In Xero", "ok"),
    SyncState.FAILED: ("failed", "Failed", "error"),
    SyncState.SKIPPED: ("skipped", "Skipped", "muted"),
    SyncState.WAITING: ("waiting", "Waiting for a choice", "warn"),
}
_PAID_BADGE = ("paid_in_xero", "Paid in Xero", "ok")
_SUMMARY_BADGE = ("in_summary", "In daily summary", "ok")
_ATTEMPTS_SHOWN = 20
_BADGE_FIELDS = (
    "id", "kind", "object_id", "parent_id", "state", "xero_id", "xero_status", "last_error",
    "xero_drift", "xero_drift_at", "xero_drift_note", "drift_settled_at",
)  # fmt: skip
_CHANNEL_FIELDS = ("channel__id", "channel__name", "channel__tenant_id")


@dataclass(frozen=True)
class SyncBadge:
    """One channel's sync state of one record, as an operator sees it."""

    record_id: int
    channel_id: int
    channel_name: str
    key: str  # pending, sending, in_xero, paid_in_xero, failed, skipped
    label: str
    css: str
    xero_id: str
    xero_url: str
    last_error: str
    can_retry: bool
    can_skip: bool
    attempts: list[SyncAttempt] = field(default_factory=list)
    # A record sent in a daily summary: the summary (its page, its day) instead of a Xero id.
    summary_id: int | None = None
    summary_label: str = ""
    summary_url: str = ""
    # What Xero reported after the record was sent ("Voided in Xero on …"), and whether the
    # operator has yet to choose (store wins is offered for a changed record only).
    drift: str = ""
    drift_open: bool = False
    drift_store_wins: bool = False


def _badge(
    row: SyncRecord, *, attempts: list[SyncAttempt] | None = None, summary: DailySummary | None = None
) -> SyncBadge:
    paid = row.state == SyncState.SYNCED and row.xero_status == XeroStatus.PAID
    key, label, css = _PAID_BADGE if paid else _BADGES[SyncState(row.state)]
    if row.state == SyncState.SYNCED and row.xero_status == SUMMARISED:
        key, label, css = _SUMMARY_BADGE
    if row.kind == RecordKind.INVOICE:
        url = xero_invoice_url(invoice_id=row.xero_id, tenant_id=row.channel.tenant_id)
    elif row.kind == RecordKind.REFUND:
        url = xero_credit_note_url(credit_note_id=row.xero_id, tenant_id=row.channel.tenant_id)
    elif row.kind in (RecordKind.PAYMENT, RecordKind.PAYOUT, RecordKind.SUMMARY):
        url = ""  # a payment is seen on its invoice's page in Xero; a payout in the bank account's
    else:
        url = xero_item_url(item_id=row.xero_id, tenant_id=row.channel.tenant_id)
    return SyncBadge(
        record_id=row.pk,
        channel_id=row.channel_id,
        channel_name=row.channel.name,
        key=key,
        label=label,
        css=css,
        xero_id=row.xero_id,
        xero_url=url,
        last_error=row.last_error,
        can_retry=row.state in (SyncState.FAILED, SyncState.PENDING, SyncState.SKIPPED, SyncState.WAITING),
        can_skip=row.state in (SyncState.FAILED, SyncState.PENDING, SyncState.WAITING),
        attempts=attempts or [],
        summary_id=summary.pk if summary is not None else None,
        summary_label=f"{summary.number} ({summary.day:%d %b %Y})" if summary is not None else "",
        summary_url=reverse("accounting:channel-summary", args=[row.channel_id, summary.pk]) if summary else "",
        drift=row.drift_text,
        drift_open=row.drift_open,
        drift_store_wins=row.drift_open and row.xero_drift == Drift.CHANGED,
    )


def _summaries_of(rows: Sequence[SyncRecord]) -> dict[tuple[int, int], DailySummary]:
    """Return {(channel id, store invoice id): the summary of the invoice's day} of the summarised
    invoice, payment and refund rows among `rows` (one query, none when there are none)."""
    invoice_ids = {row.parent_id if row.kind != RecordKind.INVOICE else row.object_id
                   for row in rows if row.xero_status == SUMMARISED}  # fmt: skip
    if not invoice_ids:
        return {}
    entries = SummaryEntry.objects.filter(
        kind=EntryKind.INVOICE, adjusts__isnull=True, invoice_id__in=invoice_ids,
        summary__channel_id__in={row.channel_id for row in rows},
    ).select_related("summary")  # fmt: skip
    return {(entry.summary.channel_id, entry.invoice_id): entry.summary for entry in entries}


def _summary_of(row: SyncRecord, summaries: dict[tuple[int, int], DailySummary]) -> DailySummary | None:
    invoice_id = row.object_id if row.kind == RecordKind.INVOICE else row.parent_id
    return summaries.get((row.channel_id, invoice_id or 0)) if row.xero_status == SUMMARISED else None


def _rows_of_store(*, store: Store, kind: str) -> QuerySet[SyncRecord]:
    # The channel's secrets are not loaded: a badge needs its name and tenant only.
    return (
        SyncRecord.objects.filter(channel__store=store, kind=kind)
        .select_related("channel")
        .only(*_BADGE_FIELDS, *_CHANNEL_FIELDS)
        .order_by("channel__name", "channel_id")
    )


def sync_badges_for(*, store: Store, kind: str, object_ids: Iterable[int]) -> dict[int, list[SyncBadge]]:
    """Return {object id: its badges, one per channel} for records of `store`. One query (none
    without ids), whatever the number of records."""
    ids = list(object_ids)
    badges: dict[int, list[SyncBadge]] = {pk: [] for pk in ids}
    if not ids:
        return badges
    rows = list(_rows_of_store(store=store, kind=kind).filter(object_id__in=ids))
    summaries = _summaries_of(rows)
    for row in rows:
        badges[row.object_id].append(_badge(row, summary=_summary_of(row, summaries)))
    return badges


def attach_sync_badges(*, store: Store, kind: str, records: Iterable[Any]) -> list[Any]:
    """Return `records` as a list, each with `sync_badges` set (one query, see `sync_badges_for`)."""
    rows = list(records)
    badges = sync_badges_for(store=store, kind=kind, object_ids=[r.pk for r in rows])
    for record in rows:
        record.sync_badges = badges[record.pk]
    return rows


def sync_of_record(*, store: Store, kind: str, object_id: int) -> list[SyncBadge]:
    """Return one badge per channel of the record, each with its latest attempts. Two queries."""
    attempts = Prefetch("attempts", queryset=SyncAttempt.objects.order_by("-created_at", "-pk"), to_attr="shown")
    rows = list(_rows_of_store(store=store, kind=kind).filter(object_id=object_id).prefetch_related(attempts))
    summaries = _summaries_of(rows)
    return [
        _badge(row, attempts=row.shown[:_ATTEMPTS_SHOWN], summary=_summary_of(row, summaries))  # type: ignore[attr-defined]
        for row in rows
    ]


def sync_record_of_store(*, store: Store, record_id: object) -> SyncRecord:
    """Return the ledger row `record_id` of one of `store`'s channels; Http404 for any other."""
    return get_in_organization(
        SyncRecord.objects.filter(channel__store=store).select_related("channel"),
        organization=store.organization_id,
        path="channel__store__organization",
        pk=record_id,
    )

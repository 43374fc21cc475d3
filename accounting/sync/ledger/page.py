"""Reads of one channel's sync ledger for operators: the ledger page (filters, failures grouped by
cause, pagination) and the live progress of a draining backlog.

Every read here costs a fixed number of queries, whatever the number of rows, and each is served
by an index of `SyncRecord` (see its Meta) on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case as CaseWhen
from django.db.models import CharField, Count, Max, Min, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from accounting.models import AccountingChannel
from accounting.sync.models import DailySummary, RecordKind, SyncRecord, SyncState, XeroOrganisationFacts
from stores.models import Invoice, Payout, Product

LEDGER_PAGE_SIZE = 50
CAUSES_SHOWN = 20
# The rate of a draining backlog: records synced over the last RATE_WINDOW, divided by the time
# since the first of them (at least RATE_FLOOR, so a drain that just started is not overrated).
RATE_WINDOW = dt.timedelta(minutes=10)
RATE_FLOOR = dt.timedelta(seconds=30)
# What one Xero call carries while a backlog drains: a batch of SYNC_BATCH_SIZE records costs about
# this many calls (its contacts, then the write), so a call moves SYNC_BATCH_SIZE / 2 records.
CALLS_PER_BATCH = 2


@dataclass(frozen=True)
class LedgerFilters:
    state: str = ""
    kind: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""
    cause: str = ""

    @property
    def active(self) -> bool:
        return any((self.state, self.kind, self.date_from, self.date_to, self.text, self.cause))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def ledger_rows(*, channel: AccountingChannel, filters: LedgerFilters) -> QuerySet[SyncRecord]:
    """Return the channel's ledger rows that match `filters`, newest change first."""
    rows = SyncRecord.objects.filter(channel=channel)
    if filters.cause:
        rows = rows.filter(state=SyncState.FAILED, error_cause=filters.cause)
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    # Bounds on the column itself (not on its date), so the index on `updated_at` serves them.
    if filters.date_from:
        rows = rows.filter(updated_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        rows = rows.filter(updated_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.text:
        text = filters.text
        invoices = Invoice.objects.filter(store_id=channel.store_id, number__icontains=text).values("pk")
        products = Product.objects.filter(store_id=channel.store_id, sku__icontains=text).values("pk")
        # The ids of each kind of match, in one UNION (a trigram index answers each part on
        # PostgreSQL, see migration 0007): the matching rows are fetched by id, never by reading
        # every row's text.
        own = SyncRecord.objects.filter(channel=channel).order_by()
        matches = (
            own.filter(last_error__icontains=text)
            .values("pk")
            .union(
                own.filter(xero_number__icontains=text).values("pk"),
                own.filter(kind=RecordKind.INVOICE, object_id__in=invoices).values("pk"),
                own.filter(kind=RecordKind.PRODUCT, object_id__in=products).values("pk"),
            )
        )
        rows = rows.filter(pk__in=matches)
    return rows.order_by("-updated_at", "-id")


def _with_labels(rows: QuerySet[SyncRecord], *, store_id: int) -> QuerySet[SyncRecord]:
    """Annotate each row with `label`: its invoice number or product SKU (None when gone), in the
    same query as the rows."""
    number = Invoice.objects.filter(store_id=store_id, pk=OuterRef("object_id")).values("number")[:1]
    parent = Invoice.objects.filter(store_id=store_id, pk=OuterRef("parent_id")).values("number")[:1]
    sku = Product.objects.filter(store_id=store_id, pk=OuterRef("object_id")).values("sku")[:1]
    reference = Payout.objects.filter(store_id=store_id, pk=OuterRef("object_id")).values("reference")[:1]
    summary = DailySummary.objects.filter(pk=OuterRef("object_id")).values("number")[:1]
    return rows.annotate(
        label=CaseWhen(
            When(kind=RecordKind.INVOICE, then=Subquery(number)),
            When(kind=RecordKind.PRODUCT, then=Subquery(sku)),
            When(kind__in=(RecordKind.PAYMENT, RecordKind.REFUND), then=Subquery(parent)),
            When(kind=RecordKind.PAYOUT, then=Subquery(reference)),
            When(kind=RecordKind.SUMMARY, then=Subquery(summary)),
            default=Value(None),
            output_field=CharField(),
        )
    )


def ledger_causes(*, channel: AccountingChannel, limit: int = CAUSES_SHOWN) -> list[dict[str, Any]]:
    """Return the channel's failures grouped by cause, most frequent first:
    [{"cause", "total", "kinds": [(kind label, n), …]}, …]. One query."""
    groups: dict[str, dict[str, Any]] = {}
    rows = (
        SyncRecord.objects.filter(channel=channel, state=SyncState.FAILED)
        .values("error_cause", "kind")
        .annotate(n=Count("*"))  # "*", not the id: the partial index answers alone
        .order_by()
    )
    for entry in rows:
        group = groups.setdefault(entry["error_cause"], {"cause": entry["error_cause"], "total": 0, "kinds": []})
        group["total"] += entry["n"]
        group["kinds"].append((RecordKind(entry["kind"]).label.lower(), entry["n"]))
    ordered = sorted(groups.values(), key=lambda g: (-g["total"], g["cause"]))
    for group in ordered:
        group["kinds"].sort(key=lambda kind: -kind[1])
    return ordered[:limit]


def state_counts(*, channel: AccountingChannel) -> dict[str, int]:
    """Return {state: rows} of the channel (every state, zeros included). One query."""
    counts = {state: 0 for state in SyncState.values}
    for entry in SyncRecord.objects.filter(channel=channel).values("state").annotate(n=Count("*")).order_by():
        counts[entry["state"]] = entry["n"]
    return counts


def ledger_page(
    *,
    channel: AccountingChannel,
    filters: LedgerFilters,
    page_number: int | str | None = 1,
    per_page: int = LEDGER_PAGE_SIZE,
) -> dict[str, Any]:
    """Return what the ledger page shows: {"page" (rows with `label`), "causes", "counts"}.

    At most four queries whatever the rows: the counts by state, the count of matching rows (not
    needed without filters but the state), the page (labels included) and the causes.
    """
    counts = state_counts(channel=channel)
    rows = ledger_rows(channel=channel, filters=filters)
    paginator = Paginator(rows, per_page)
    if not (filters.kind or filters.date_from or filters.date_to or filters.text or filters.cause):
        # No filter but the state: the counts by state already say how many rows match.
        paginator.count = counts[filters.state] if filters.state else sum(counts.values())  # type: ignore[misc]
    page: Page = paginator.get_page(page_number)
    # The page's ids in a subquery, the labels only for them: a deep page does not look up the
    # labels of every row it skips (PostgreSQL computes the output columns before OFFSET).
    bottom = (page.number - 1) * per_page
    ids = rows.values("pk")[bottom : bottom + per_page]
    labelled = _with_labels(SyncRecord.objects.filter(pk__in=Subquery(ids)), store_id=channel.store_id)
    page.object_list = labelled.order_by("-updated_at", "-id")
    return {"page": page, "causes": ledger_causes(channel=channel), "counts": counts}


def failed_rows_with_cause(*, channel: AccountingChannel, cause: str) -> QuerySet[SyncRecord]:
    return SyncRecord.objects.filter(channel=channel, state=SyncState.FAILED, error_cause=cause)


# Live progress of a backlog ---------------------------------------------------------------------


def channel_sync_progress(*, channel: AccountingChannel, now: dt.datetime | None = None) -> dict[str, Any]:
    """Return the channel's progress while its backlog drains (three queries):

    {"counts": {state: n}, "total", "waiting" (pending + in flight), "settled", "percent" (settled
     of all), "rate_per_minute" (see RATE_WINDOW), "eta_seconds" (None when there
     is no rate to go by), "day_remaining", "day_limit", "fits_today" (None without a budget
     reported), "days_needed", "last_synced_at", "sending"}
    """
    now = now or timezone.now()
    counts = state_counts(channel=channel)
    total = sum(counts.values())
    waiting = counts[SyncState.PENDING] + counts[SyncState.IN_FLIGHT]
    recent = SyncRecord.objects.filter(channel=channel, synced_at__gte=now - RATE_WINDOW).aggregate(
        n=Count("*"), first=Min("synced_at"), last=Max("synced_at")
    )
    span = max(now - recent["first"], RATE_FLOOR) if recent["first"] else RATE_WINDOW
    rate = recent["n"] / (span.total_seconds() / 60)
    facts = XeroOrganisationFacts.objects.filter(tenant_id=channel.tenant_id).first() if channel.tenant_id else None
    day_remaining = facts.day_remaining if facts else None
    per_call = max(settings.SYNC_BATCH_SIZE / CALLS_PER_BATCH, 1)
    fits_today = None if day_remaining is None else int(day_remaining * per_call)
    days_needed = 0
    if waiting:
        day_capacity = (facts.day_limit if facts else 1000) * per_call
        beyond = waiting - (fits_today if fits_today is not None else day_capacity)
        days_needed = 1 + max(math.ceil(beyond / day_capacity), 0)
    eta = None
    if waiting and rate > 0:
        eta = waiting / rate * 60
    elif not waiting:
        eta = 0.0
    # Records waiting for the operator's choice are neither settled nor part of the backlog.
    settled = total - waiting - counts[SyncState.WAITING]
    return {
        "counts": counts,
        "total": total,
        "waiting": waiting,
        "settled": settled,
        "percent": math.floor(settled * 100 / total) if total else 100,
        "rate_per_minute": round(rate, 1),
        "eta_seconds": None if eta is None else round(eta),
        "day_remaining": day_remaining,
        "day_limit": facts.day_limit if facts else None,
        "minute_remaining": facts.minute_remaining if facts else None,
        "fits_today": fits_today,
        "days_needed": days_needed,
        "last_synced_at": recent["last"],
        "sending": channel.is_sending,
    }


def duration_text(seconds: float | None) -> str:
    """Return a rough human duration ("about 3 min", "about 2 h 10 min"); "" for None."""
    if seconds is None:
        return ""
    if seconds < 60:
        return "under a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


NOTHING_TO_SEND = "Nothing to send yet."
BACKLOG_DRAINED = "Nothing waiting: the backlog is drained."
NOT_DRAINING = "Sending is paused: nothing drains until the channel is sending again."
NO_RATE_YET = "No record was synced in the last 10 minutes: no rate to estimate from yet."


def rate_estimate_text(*, rate_per_minute: float, eta_seconds: float) -> str:
    return f"At {rate_per_minute:g} records a minute, {duration_text(eta_seconds)} to go."


def day_budget_text(*, fits_today: int, waiting: int, days_needed: int) -> str:
    return (
        f"Xero's calls left today cover about {fits_today:,} of the {waiting:,}"
        f" waiting: the rest waits for Xero's next day ({days_needed} days in all)."
    )


def progress_summary(progress: dict[str, Any]) -> str:
    """Return the one-line estimate the progress card shows (the page and the JSON say the same)."""
    if not progress["total"]:
        return NOTHING_TO_SEND
    if not progress["waiting"]:
        return BACKLOG_DRAINED
    if not progress["sending"]:
        return NOT_DRAINING
    if progress["eta_seconds"] is None:
        text = NO_RATE_YET
    else:
        text = rate_estimate_text(rate_per_minute=progress["rate_per_minute"], eta_seconds=progress["eta_seconds"])
    if progress["fits_today"] is not None and progress["waiting"] > progress["fits_today"]:
        budget = day_budget_text(
            fits_today=progress["fits_today"], waiting=progress["waiting"], days_needed=progress["days_needed"]
        )
        text += f" {budget}"
    return text

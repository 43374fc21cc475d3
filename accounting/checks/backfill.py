"""Backfill of a date range: queue the store's invoices of those dates that the channel has no
ledger row for, after a preview of what it costs.

A new channel already gets a row for every invoice its store holds when it is created
(`sync.ledger.writes.ledger_backfill`), and every later save adds one. What has no row is history that
arrived without the model signals (a bulk import of older invoices, a data migration): this
queues it. The rows are ordinary pending rows, so the workers send them through the one
limiter like any other work; nothing is sent from here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounting.checks.estimates import SyncEstimate, sync_estimate
from accounting.models import AccountingChannel
from accounting.sync.ledger.wake import sync_wake_channel
from accounting.sync.models import RecordKind, SyncAction, SyncRecord, SyncState
from stores.models import Invoice

# The widest range one backfill may span (a larger history goes in several steps).
MAX_RANGE_DAYS = 3660


@dataclass(frozen=True)
class BackfillPreview:
    date_from: dt.date
    date_to: dt.date
    estimate: SyncEstimate
    already_queued: int  # invoices of the range the channel has a row for already

    @property
    def invoices(self) -> int:
        return self.estimate.invoices


LAST_BEFORE_FIRST = "The last date must be on or after the first date."


def backfill_range_check(*, date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """Return the range, or raise ValidationError with field errors."""
    errors: dict[str, str] = {}
    if date_from is None:
        errors["date_from"] = "Enter the first issue date to backfill."
    if date_to is None:
        errors["date_to"] = "Enter the last issue date to backfill."
    if errors:
        raise ValidationError(errors)
    assert date_from is not None and date_to is not None
    if date_from > date_to:
        raise ValidationError({"date_to": LAST_BEFORE_FIRST})
    if (date_to - date_from).days > MAX_RANGE_DAYS:
        raise ValidationError({"date_to": "Backfill at most ten years at a time."})
    return date_from, date_to


def _in_range(*, channel: AccountingChannel, date_from: dt.date, date_to: dt.date) -> QuerySet[Invoice]:
    return Invoice.objects.filter(store_id=channel.store_id, issue_date__gte=date_from, issue_date__lte=date_to)


def _has_row(channel: AccountingChannel) -> Exists:
    return Exists(
        SyncRecord.objects.filter(
            channel=channel, kind=RecordKind.INVOICE, action=SyncAction.PUSH, object_id=OuterRef("pk")
        )
    )


def backfill_candidates(*, channel: AccountingChannel, date_from: dt.date, date_to: dt.date) -> QuerySet[Invoice]:
    """Return the store's invoices issued in the range that the channel has no ledger row for."""
    return _in_range(channel=channel, date_from=date_from, date_to=date_to).filter(~_has_row(channel))


def backfill_preview(*, channel: AccountingChannel, date_from: Any, date_to: Any) -> BackfillPreview:
    """Return what queueing the range would send: invoices, Xero calls, time at the limits."""
    date_from, date_to = backfill_range_check(date_from=date_from, date_to=date_to)
    candidates = backfill_candidates(channel=channel, date_from=date_from, date_to=date_to)
    in_range = _in_range(channel=channel, date_from=date_from, date_to=date_to)
    return BackfillPreview(
        date_from=date_from,
        date_to=date_to,
        estimate=sync_estimate(channel=channel, invoices=candidates),
        already_queued=in_range.filter(_has_row(channel)).count(),
    )


@transaction.atomic
def backfill_queue(*, channel: AccountingChannel, date_from: Any, date_to: Any) -> int:
    """Give every invoice of the range that has no row a pending row; return how many.

    The rows are sent by the workers at the pace of the limiter (and only while the channel is
    active and connected), like every other row.
    """
    date_from, date_to = backfill_range_check(date_from=date_from, date_to=date_to)
    ids = list(backfill_candidates(channel=channel, date_from=date_from, date_to=date_to).values_list("pk", flat=True))
    now = timezone.now()
    rows = [
        SyncRecord(
            channel=channel, kind=RecordKind.INVOICE, object_id=pk, action=SyncAction.PUSH,
            state=SyncState.PENDING, next_attempt_at=now,
        )
        for pk in ids
    ]  # fmt: skip
    created = SyncRecord.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    if ids:
        channel_id = channel.pk
        transaction.on_commit(lambda: sync_wake_channel(channel_id=channel_id), robust=True)
    return len(created)

"""Operator actions on the sync ledger (writes)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .dispatch import sync_wake_channel
from .models import SyncRecord, SyncState

RETRYABLE_STATES = (SyncState.FAILED, SyncState.PENDING)


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
    count = rows.update(state=SyncState.PENDING, next_attempt_at=timezone.now(), attempt_count=0)
    for channel_id in channel_ids:
        transaction.on_commit(lambda cid=channel_id: sync_wake_channel(channel_id=cid), robust=True)  # type: ignore[misc]
    return count


def sync_retry_channel(*, channel_id: int) -> int:
    """Send every failed row of a channel again; return how many were queued."""
    return sync_retry(records=SyncRecord.objects.filter(channel_id=channel_id, state=SyncState.FAILED))

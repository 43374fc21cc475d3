"""Reads of the sync ledger (the channel page's summary, the admin)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, QuerySet

from accounting.models import AccountingChannel

from .models import SyncRecord, SyncState

LAST_ERRORS = 10


def channel_sync_summary(*, channel: AccountingChannel, last_errors: int = LAST_ERRORS) -> dict[str, Any]:
    """Return the channel's sync counts by state and its latest failures with Xero's message.

    {"counts": {"pending": n, "in_flight": n, "synced": n, "failed": n, "skipped": n},
     "total": n, "last_synced_at": datetime | None,
     "errors": [{"record_id", "kind", "object_id", "message", "attempts", "at"}, …]}
    Three queries, whatever the size of the ledger.
    """
    rows = SyncRecord.objects.filter(channel=channel)
    counts = {state: 0 for state in SyncState.values}
    for entry in rows.values("state").annotate(n=Count("id")).order_by():
        counts[entry["state"]] = entry["n"]
    last_synced_at = rows.aggregate(last=Max("synced_at"))["last"]
    failures = rows.filter(state=SyncState.FAILED).order_by("-updated_at", "-pk")[:last_errors]
    errors = [
        {
            "record_id": row.pk,
            "kind": row.kind,
            "object_id": row.object_id,
            "message": row.last_error,
            "attempts": row.attempt_count,
            "at": row.updated_at,
        }
        for row in failures
    ]
    return {"counts": counts, "total": sum(counts.values()), "last_synced_at": last_synced_at, "errors": errors}


def sync_records_of(*, channel: AccountingChannel) -> QuerySet[SyncRecord]:
    return SyncRecord.objects.filter(channel=channel)

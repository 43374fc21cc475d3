"""Reads of the staff page in the Django admin: every organisation's channels and what needs a hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from accounting.models import AccountingChannel, AlertEpisode, ConnectionState
from accounting.sync.models import SyncState

# Xero refresh tokens lapse after 60 days unused (each refresh starts a new 60 days).
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=60)
# A refresh token that lapses within this long is shown as near expiry.
EXPIRY_WARNING = dt.timedelta(days=14)


@dataclass
class ChannelHealth:
    channel: AccountingChannel
    failed: int
    backlog: int
    last_success: dt.datetime | None
    refresh_expires_at: dt.datetime | None
    alerts: list[str]

    @property
    def needs_reconnect(self) -> bool:
        return self.channel.connection_state == ConnectionState.NEEDS_RECONNECT

    @property
    def refresh_near_expiry(self) -> bool:
        return self.refresh_expires_at is not None and self.refresh_expires_at - timezone.now() <= EXPIRY_WARNING


def refresh_token_expiry(channel: AccountingChannel) -> dt.datetime | None:
    """Return when the channel's refresh token lapses if unused (None when not connected)."""
    if channel.connection_state != ConnectionState.CONNECTED:
        return None
    last = channel.last_token_refresh_at or channel.connected_at
    return None if last is None else last + REFRESH_TOKEN_LIFETIME


def channels_health() -> dict[str, Any]:
    """Return every channel's health, and the lists of those that need a hand. Two queries."""
    channels = (
        AccountingChannel.objects.select_related("store__organization")
        .annotate(
            failed=Count("sync_records", filter=Q(sync_records__state=SyncState.FAILED)),
            backlog=Count("sync_records", filter=Q(sync_records__state__in=[SyncState.PENDING, SyncState.IN_FLIGHT])),
            last_success=Max("sync_records__synced_at"),
        )
        .order_by("store__organization__name", "store__name", "name", "pk")
    )
    alerts: dict[int, list[str]] = {}
    for episode in AlertEpisode.objects.filter(resolved_at__isnull=True).order_by("opened_at"):
        alerts.setdefault(episode.channel_id, []).append(episode.get_kind_display())
    rows = [
        ChannelHealth(
            channel=c, failed=c.failed, backlog=c.backlog, last_success=c.last_success,  # type: ignore[attr-defined]
            refresh_expires_at=refresh_token_expiry(c), alerts=alerts.get(c.pk, []),
        )
        for c in channels
    ]  # fmt: skip
    return {
        "rows": rows,
        "needs_reconnect": [r for r in rows if r.needs_reconnect],
        "failing": [r for r in rows if r.failed],
        "near_expiry": [r for r in rows if r.refresh_near_expiry],
    }

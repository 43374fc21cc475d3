"""Celery tasks of accounting channels: thin, they take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

from accounting.selectors import idle_channel_ids
from accounting.tokens import IDLE_REFRESH_AFTER, TokenRefreshFailed, channel_refresh_if_idle

logger = logging.getLogger(__name__)


@shared_task(name="accounting.tasks.refresh_idle_tokens")
def refresh_idle_tokens() -> int:
    """Refresh the token sets idle for 30 days, so that no 60-day refresh token lapses; return how many."""
    refreshed = 0
    for channel_id in idle_channel_ids(idle_for=IDLE_REFRESH_AFTER):
        try:
            refreshed += channel_refresh_if_idle(channel_id=channel_id)
        except TokenRefreshFailed as exc:
            # Xero unreachable: the next run (in 6 hours) tries again, weeks before the token lapses.
            logger.warning("Channel %s: idle token refresh failed: %s", channel_id, exc)
    return refreshed

"""Every Celery task of the accounting app: thin, they take ids (never tokens) and call services.

The code that queues a lane's next turn or an events turn does it by the task's name
(`channels_portal.celery.task_send`), so it never imports this module: the arrows point one way,
from here down.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from accounting.access.tokens import IDLE_REFRESH_AFTER, TokenRefreshFailed, channel_refresh_if_idle
from accounting.checks.reconcile.run import reconciliation_run
from accounting.inbound.poll import (
    channel_poll,
    channels_with_pending_events,
    events_process,
    poll_slot,
    pollable_channel_ids,
)
from accounting.selectors import idle_channel_ids
from accounting.sync.schedule.lanes import lane_turn, sync_sweep
from channels_portal.celery import PRIORITY_BACKLOG

logger = logging.getLogger(__name__)

# The idle refresh of a channel comes due within a day after its 30 days (by its id), and one run
# refreshes at most this many: 100,000 channels need about 140 an hour.
IDLE_REFRESH_SPREAD = dt.timedelta(days=1)
REFRESH_PER_RUN = 500


@shared_task(name="accounting.tasks.sweep_due", ignore_result=True)
def sweep_due() -> int:
    """Dispatch every channel with due rows (beat, every SYNC_SWEEP_SECONDS)."""
    return sync_sweep()


@shared_task(name="accounting.tasks.push_channel", ignore_result=True)
def push_channel(channel_id: int, lane: int, chain: str) -> None:
    """Send one batch for the channel on this lane, then queue what comes next.

    `chain` is a random id of the lane's chain of tasks (stale chains stop themselves).
    """
    lane_turn(channel_id=channel_id, lane=lane, chain=chain)


@shared_task(name="accounting.tasks.xero_events_process", ignore_result=True)
def xero_events_process(channel_id: int) -> None:
    """Fetch and apply the invoices named by the channel's pending webhook events (one turn)."""
    outcome = events_process(channel_id=channel_id)
    if outcome.retry_after is not None or outcome.more:
        countdown = outcome.retry_after or 0.0
        xero_events_process.apply_async(args=(channel_id,), countdown=countdown, retry=False)


@shared_task(name="accounting.tasks.xero_events_sweep", ignore_result=True)
def xero_events_sweep() -> int:
    """Queue a turn for every channel with pending webhook events (a lost message, a restart)."""
    channel_ids = channels_with_pending_events()
    for channel_id in channel_ids:
        xero_events_process.apply_async(args=(channel_id,), retry=False)
    return len(channel_ids)


@shared_task(name="accounting.tasks.xero_poll_due", ignore_result=True)
def xero_poll_due() -> int:
    """Queue a poll of this tick's share of the channels to poll (beat, every XERO_POLL_TICK_SECONDS).

    Each channel is polled once every XERO_POLL_SECONDS, in its own slot: a fifteenth of them a
    minute at the defaults, never all at once.
    """
    slot, slots = poll_slot()
    channel_ids = pollable_channel_ids(slot=slot, slots=slots)
    for channel_id in channel_ids:
        # Background work: after every new invoice's turn (the queue's first priority step).
        xero_poll_channel.apply_async(args=(channel_id,), retry=False, priority=PRIORITY_BACKLOG)
    return len(channel_ids)


@shared_task(name="accounting.tasks.xero_poll_channel", ignore_result=True)
def xero_poll_channel(channel_id: int) -> None:
    """Ask Xero for the channel's invoices modified since the last poll and apply them."""
    channel_poll(channel_id=channel_id)


@shared_task(name="accounting.tasks.refresh_idle_tokens")
def refresh_idle_tokens() -> int:
    """Refresh the token sets idle for 30 days, so that no 60-day refresh token lapses; return how many.

    Hourly, at most REFRESH_PER_RUN a run, each channel's turn spread over a day by its id: a
    thousand channels connected on one day refresh over the next day's runs, not in one burst.
    """
    refreshed = 0
    for channel_id in idle_channel_ids(idle_for=IDLE_REFRESH_AFTER, spread=IDLE_REFRESH_SPREAD, limit=REFRESH_PER_RUN):
        try:
            refreshed += channel_refresh_if_idle(channel_id=channel_id)
        except TokenRefreshFailed as exc:
            # Xero unreachable: the next run (in an hour) tries again, weeks before the token lapses.
            logger.warning("Channel %s: idle token refresh failed: %s", channel_id, exc)
    return refreshed


@shared_task(name="accounting.tasks.reconcile", ignore_result=True)
def reconcile(reconciliation_id: int) -> None:
    """Run one queued reconciliation (the Reconcile page, the Billing API)."""
    reconciliation_run(reconciliation_id=reconciliation_id)

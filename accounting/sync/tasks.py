"""Celery tasks of the sync engine: thin, ids only (never tokens), the work is in services."""

from __future__ import annotations

from celery import shared_task

from accounting.sync.dispatch import lane_turn, sync_sweep


@shared_task(name="accounting.sync.tasks.sweep_due", ignore_result=True)
def sweep_due() -> int:
    """Dispatch every channel with due rows (beat, every SYNC_SWEEP_SECONDS)."""
    return sync_sweep()


@shared_task(name="accounting.sync.tasks.push_channel", ignore_result=True)
def push_channel(channel_id: int, lane: int, chain: str) -> None:
    """Send one batch for the channel on this lane, then queue what comes next.

    `chain` is a random id of the lane's chain of tasks (stale chains stop themselves).
    """
    lane_turn(channel_id=channel_id, lane=lane, chain=chain)


@shared_task(name="accounting.sync.tasks.xero_events_process", ignore_result=True)
def xero_events_process(channel_id: int) -> None:
    """Fetch and apply the invoices named by the channel's pending webhook events (one turn)."""
    from accounting.sync.feedback import events_process

    outcome = events_process(channel_id=channel_id)
    if outcome.retry_after is not None or outcome.more:
        countdown = outcome.retry_after or 0.0
        xero_events_process.apply_async(args=(channel_id,), countdown=countdown, retry=False)


@shared_task(name="accounting.sync.tasks.xero_events_sweep", ignore_result=True)
def xero_events_sweep() -> int:
    """Queue a turn for every channel with pending webhook events (a lost message, a restart)."""
    from accounting.sync.feedback import channels_with_pending_events

    channel_ids = channels_with_pending_events()
    for channel_id in channel_ids:
        xero_events_process.apply_async(args=(channel_id,), retry=False)
    return len(channel_ids)


@shared_task(name="accounting.sync.tasks.xero_poll_due", ignore_result=True)
def xero_poll_due() -> int:
    """Queue a poll of every sending channel without a webhook key (beat, every XERO_POLL_SECONDS)."""
    from accounting.sync.feedback import pollable_channel_ids

    channel_ids = pollable_channel_ids()
    for channel_id in channel_ids:
        xero_poll_channel.apply_async(args=(channel_id,), retry=False)
    return len(channel_ids)


@shared_task(name="accounting.sync.tasks.xero_poll_channel", ignore_result=True)
def xero_poll_channel(channel_id: int) -> None:
    """Ask Xero for the channel's invoices modified since the last poll and apply them."""
    from accounting.sync.feedback import channel_poll

    channel_poll(channel_id=channel_id)

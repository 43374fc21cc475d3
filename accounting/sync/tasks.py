"""Celery tasks of the sync engine: thin, ids only (never tokens), the work is in services."""

from __future__ import annotations

from celery import shared_task

from .dispatch import lane_turn, sync_sweep


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

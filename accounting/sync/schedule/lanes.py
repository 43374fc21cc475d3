"""Who sends what, when: lanes per channel, the on-commit wake-up and the beat sweep.

A channel has up to `LANES` lanes; each lane is one chain of `push_channel` tasks, one batch per
task, re-queued at the back of the broker queue while work remains. Every channel with work thus
gets its turn in rotation, so one merchant's 10,000-invoice backlog adds only a few tasks ahead of
another merchant's new invoice (fair dispatch). On Redis a backlog's next turns wait in the
queue's lower priority step, so a channel's first turn after new work (a trickle merchant's
invoice) goes before every draining merchant's next batch. A lane is held by a cache key with a TTL, so a
lost task frees its lane by itself; the sweep restarts any channel with due rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.dispatch import receiver
from django.utils import timezone

from accounting.models import AccountingChannel, ConnectionState
from accounting.sync.ledger.wake import channel_has_work, store_has_work
from accounting.sync.models import SyncRecord, SyncState
from accounting.sync.schedule.turn import channel_push_turn, due_rows, leases_reclaim
from channels_portal.celery import PRIORITY_BACKLOG, task_send

logger = logging.getLogger(__name__)

PUSH_TASK = "accounting.tasks.push_channel"
# The queue settings.CELERY_TASK_ROUTES sends the push turns to.
SYNC_QUEUE = "sync"

# As many lanes as Xero allows calls in flight per organisation.
LANES = int(getattr(settings, "SYNC_LANES_PER_CHANNEL", 5))


def _lane_ttl() -> int:
    """Return how long a lane stays held without its task running.

    Short, so that a lost broker message frees its lane soon and the sweep restarts it; a task
    that was merely slow and finds its lane taken over by a newer chain stops by itself.
    """
    return max(1, int(getattr(settings, "SYNC_LANE_TTL", 30)))  # cache timeouts are whole seconds


# Never hold a task in a worker's memory longer than this; the sweep picks up anything later.
MAX_COUNTDOWN = 60.0


# Widen a busy channel to more lanes only while fewer turns than this wait in the broker queue:
# when many channels are busy, each keeps one lane and the queue itself deals turns round-robin.
WIDEN_BELOW = int(getattr(settings, "SYNC_WIDEN_BELOW_QUEUED", 8))


def _queued_turns() -> int | None:
    """Return how many turns wait in the sync queue, both its steps (Redis broker only; None when
    unknown)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    try:
        pipe = _broker_redis(url).pipeline()
        for key in (SYNC_QUEUE, f"{SYNC_QUEUE}{_PRIORITY_SEPARATOR}{PRIORITY_BACKLOG}"):
            pipe.llen(key)
        lengths: Any = pipe.execute()
        return sum(int(length) for length in lengths)
    except redis.RedisError:
        return None


# How kombu's Redis transport names a queue's priority step (kombu.transport.redis.Channel.sep).
_PRIORITY_SEPARATOR = "\x06\x16"


@lru_cache(maxsize=2)
def _broker_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _lane_key(channel_id: int, lane: int) -> str:
    return f"sync:lane:{channel_id}:{lane}"


def _enqueue(*, channel_id: int, lane: int, chain: str, countdown: float = 0.0, backlog: bool = False) -> None:
    """Queue a turn: a channel's first turn after new work ahead of the backlogs' turns, so that one
    merchant's new invoice is not sent after every draining merchant's next batch."""
    task_send(
        PUSH_TASK, args=(channel_id, lane, chain), countdown=countdown, priority=PRIORITY_BACKLOG if backlog else None
    )


def lane_start(*, channel_id: int, widen: bool = False) -> bool:
    """Start a lane for the channel; return whether one was started.

    Without `widen`, only a channel with no lane gets one (its running lanes pick up new rows);
    with it, a busy channel gets one more, up to LANES.
    """
    keys = [_lane_key(channel_id, lane) for lane in range(LANES)]
    if not widen and cache.get_many(keys):
        return False
    for lane in range(LANES):
        chain = uuid.uuid4().hex
        if cache.add(_lane_key(channel_id, lane), chain, timeout=_lane_ttl()):
            try:
                _enqueue(channel_id=channel_id, lane=lane, chain=chain, backlog=widen)
            except Exception:
                # Broker down: the rows are safe in the database and the sweep will try again.
                cache.delete(_lane_key(channel_id, lane))
                logger.warning("Could not queue a sync turn for channel %s", channel_id, exc_info=True)
                return False
            return True
    return False


@receiver(channel_has_work, dispatch_uid="lanes_channel_has_work")
def _channel_has_work(sender: object, *, channel_id: int, **kwargs: Any) -> None:
    """Make sure a lane runs for the channel (the ledger woke it, on commit of a change)."""
    lane_start(channel_id=channel_id)


@receiver(store_has_work, dispatch_uid="lanes_store_has_work")
def _store_has_work(sender: object, *, store_id: int, **kwargs: Any) -> None:
    """Wake the sending channels of a store whose records just changed."""
    sending = AccountingChannel.objects.filter(
        store_id=store_id, is_active=True, connection_state=ConnectionState.CONNECTED
    ).values_list("pk", flat=True)
    for channel_id in sending:
        lane_start(channel_id=channel_id)


# Table names come from the models' meta; every value is a parameter.
_DUE_CHANNELS_SQL = """
    WITH RECURSIVE pending(channel_id) AS (
        SELECT (SELECT channel_id FROM {records} WHERE state = %s
                ORDER BY channel_id, next_attempt_at LIMIT 1)
        UNION ALL
        SELECT (SELECT r.channel_id FROM {records} r WHERE r.state = %s AND r.channel_id > pending.channel_id
                ORDER BY r.channel_id, r.next_attempt_at LIMIT 1)
        FROM pending WHERE pending.channel_id IS NOT NULL
    )
    SELECT p.channel_id FROM pending p
    WHERE p.channel_id IS NOT NULL
    AND (SELECT c.is_active AND c.connection_state = %s FROM {channels} c WHERE c.id = p.channel_id)
    AND EXISTS (
        SELECT 1 FROM {records} d
        WHERE d.channel_id = p.channel_id AND d.state = %s AND d.next_attempt_at <= %s
    )
    ORDER BY p.channel_id
"""


def channels_with_due_rows(*, now: dt.datetime | None = None) -> list[int]:
    """Return the sending channels with a pending row due now, reading only the channels with
    pending rows (never every channel).

    A loose index scan of the partial index `sync_record_due_at`, whose order (channel, then due
    time) is the order the seek asks for, so that no index of all the rows serves it by skipping
    synced ones: each step seeks the next channel id with a pending row. Each such channel is then
    looked up by its primary key (a scalar subquery, run per row) and its earliest due row by the
    same index. So the rows read follow the channels with work, however many channels and synced
    rows exist (PostgreSQL may still read a small channels table whole: it is cheaper). PostgreSQL
    and SQLite both run it.
    """
    quote = connection.ops.quote_name
    sql = _DUE_CHANNELS_SQL.format(
        records=quote(SyncRecord._meta.db_table), channels=quote(AccountingChannel._meta.db_table)
    )
    pending = SyncState.PENDING.value
    due_by = connection.ops.adapt_datetimefield_value(now or timezone.now())
    params = [pending, pending, ConnectionState.CONNECTED.value, pending, due_by]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _lanes_held(channel_ids: list[int]) -> set[int]:
    """Return which of the channels hold a lane (one cache round trip for them all)."""
    keys = {_lane_key(channel_id, lane): channel_id for channel_id in channel_ids for lane in range(LANES)}
    return {keys[key] for key in cache.get_many(list(keys))} if keys else set()


def sync_sweep() -> int:
    """Reclaim dead leases and start a lane for every sending channel with due rows; return how many.

    Its cost follows the work: one query for the sending channels with due rows, one cache read
    for their lanes, and for those without a lane (rare: a lane starts on the commit that queues
    a row) one query loading them by primary key and a look at the due rows of each (payments
    wait for their invoice). An idle or switched-off channel costs the sweep nothing.
    """
    leases_reclaim()
    candidates = channels_with_due_rows()
    held = _lanes_held(candidates)
    unheld = [channel_id for channel_id in candidates if channel_id not in held]
    if not unheld:
        return 0
    started = 0
    for channel in AccountingChannel.objects.filter(pk__in=unheld):
        if SyncRecord.objects.filter(due_rows(channel=channel)).exists() and lane_start(channel_id=channel.pk):
            started += 1
    return started


def _lane_free(key: str, chain: str) -> None:
    if cache.get(key) == chain:
        cache.delete(key)


def lane_turn(*, channel_id: int, lane: int, chain: str) -> None:
    """Run one turn on a lane, then keep the lane going, widen it, or close it.

    A task whose chain no longer holds the lane belongs to a chain that was replaced (its key
    expired while it waited): it stops, so chains never multiply.
    """
    key = _lane_key(channel_id, lane)
    holder = cache.get(key)
    if holder != chain and not (holder is None and cache.add(key, chain, timeout=_lane_ttl())):
        return
    try:
        result = channel_push_turn(channel_id=channel_id)
    except Exception:
        _lane_free(key, chain)
        raise
    if not result.more:
        _lane_free(key, chain)
        return
    countdown = min(result.wait, MAX_COUNTDOWN)
    cache.set(key, chain, timeout=_lane_ttl() + int(countdown) + 1)
    try:
        _enqueue(channel_id=channel_id, lane=lane, chain=chain, countdown=countdown, backlog=True)
    except Exception:
        _lane_free(key, chain)
        raise
    queued = _queued_turns()
    if not result.wait and (queued is None or queued < WIDEN_BELOW):
        lane_start(channel_id=channel_id, widen=True)  # work remains, budget allowed, workers idle

#!/usr/bin/env python
"""Benchmark of what each beat task reads from the database, at N channels.

Not a test. For each N of `--channels` (default 100, 1,000, 5,000, 20,000) it builds a fresh
PostgreSQL database (`--database`) with N connected, active channels (in bulk: no sandbox, no
worker; half with a webhook key, each with one invoice in Xero, last token refresh spread over
29 days) and a fixed amount of work whatever N: 20 channels draining (1,000 due rows each, their
lanes held as running lanes hold them), 20 switched off over a backlog (1,000 pending rows each)
and 50 with one new due row and no lane. Then it runs each beat task's reads here, as the beat's
tasks would, and prints their queries and the table and index rows their plans read (EXPLAIN
ANALYZE), with the milliseconds of the task's own run:

- the sweep (`sync_sweep`, every 5 s): must start a lane for the 50, and read the same rows at
  any N;
- the poll tick (`pollable_channel_ids` of one slot, every 60 s);
- the idle token refresh's selection (`idle_channel_ids`, hourly);
- the webhook events sweep (`channels_with_pending_events`, every 60 s).

    .venv/bin/python bench/beat_tick.py
    .venv/bin/python bench/beat_tick.py --channels 100 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from many_orgs import rows_read  # noqa: E402

from drills.harness import environment, recreate_database  # noqa: E402

DRAINING, PAUSED, NEW, BACKLOG = 20, 20, 50, 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[100, 1000, 5000, 20000])
    parser.add_argument("--database", default="bench_beat_tick")
    parser.add_argument("--redis-db", type=int, default=14)
    return parser.parse_args()


def build(count: int) -> None:
    """N channels in bulk, and the fixed work (see the module's docstring)."""
    from django.core.cache import cache
    from django.utils import timezone

    from accounting.models import AccountingChannel, ConnectionState
    from accounting.sync.models import ChannelXeroFeed, RecordKind, SyncRecord, SyncState
    from accounting.sync.schedule.lanes import _lane_key
    from organizations.models import Organization
    from stores.models import Store

    now = timezone.now()
    merchants = Organization.objects.bulk_create(
        Organization(name=f"Merchant {n}", slug=f"m-{n}") for n in range(count)
    )  # fmt: skip
    stores = Store.objects.bulk_create(Store(organization=m, name="Store", currency="GBP") for m in merchants)
    token: Any = {"access_token": "a" * 40, "refresh_token": "r" * 40, "expires_at": now.timestamp() + 1800}
    secret = "bench-only-" + "x" * 8  # a throw-away value of the bench's own database
    channels = AccountingChannel.objects.bulk_create(
        (AccountingChannel(store=s, name="Xero", client_id=f"C{n:08d}", client_secret=secret,
                           tenant_id=str(uuid.uuid4()), tenant_name=f"Books {n}",
                           connection_state=ConnectionState.CONNECTED, is_active=True,
                           connected_at=now - dt.timedelta(days=40),
                           last_token_refresh_at=now - dt.timedelta(hours=(n * 7) % (29 * 24)), token_set=token)
         for n, s in enumerate(stores)),
        batch_size=1000,
    )  # fmt: skip
    ChannelXeroFeed.objects.bulk_create(
        (ChannelXeroFeed(channel=c, webhook_key="key" if n % 2 else "") for n, c in enumerate(channels)),
        batch_size=1000,
    )
    rows = [
        SyncRecord(channel=c, kind=RecordKind.INVOICE, object_id=n, state=SyncState.SYNCED, xero_id=str(uuid.uuid4()))
        for n, c in enumerate(channels)
    ]
    draining, paused = channels[:DRAINING], channels[DRAINING : DRAINING + PAUSED]
    fresh = channels[DRAINING + PAUSED : DRAINING + PAUSED + NEW]
    for c in [*draining, *paused]:
        rows += [
            SyncRecord(channel=c, kind=RecordKind.INVOICE, object_id=count + k, state=SyncState.PENDING,
                       next_attempt_at=now)
            for k in range(BACKLOG)
        ]  # fmt: skip
    rows += [
        SyncRecord(channel=c, kind=RecordKind.INVOICE, object_id=-1, state=SyncState.PENDING, next_attempt_at=now)
        for c in fresh
    ]
    SyncRecord.objects.bulk_create(rows, batch_size=2000)
    AccountingChannel.objects.filter(pk__in=[c.pk for c in paused]).update(is_active=False)
    for c in draining:
        cache.set(_lane_key(c.pk, 0), "running-chain", timeout=600)


def measure(label: str, run: Any) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    began = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        result = run()
    elapsed = 1000 * (time.perf_counter() - began)
    rows = sum(rows_read(q["sql"]) for q in captured.captured_queries)
    size = len(result) if isinstance(result, list) else result
    return f"  {label:28} {len(captured.captured_queries):3} queries {rows:7} rows read {elapsed:8.1f} ms  → {size}"


def main() -> None:
    args = parse_args()
    os.environ.update(environment(database=args.database, redis_db=args.redis_db, port=8899, log_level="WARNING"))
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    from accounting.access.tokens import IDLE_REFRESH_AFTER
    from accounting.inbound.poll import channels_with_pending_events, poll_slot, pollable_channel_ids
    from accounting.selectors import idle_channel_ids
    from accounting.sync.schedule.lanes import sync_sweep
    from accounting.tasks import IDLE_REFRESH_SPREAD, REFRESH_PER_RUN

    for count in args.channels:
        connections.close_all()
        recreate_database(args.database)
        call_command("migrate", verbosity=0)
        redis.Redis.from_url(settings.REDIS_URL).flushdb()
        began = time.monotonic()
        build(count)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"\n{count} channels (built in {time.monotonic() - began:.0f} s): {DRAINING} draining, {PAUSED} "
              f"switched off over a backlog, {NEW} with a new row", flush=True)  # fmt: skip
        slot, slots = poll_slot()
        print(measure("sweep (started lanes)", sync_sweep))
        print(measure("sweep again (lanes held)", sync_sweep))
        print(
            measure(
                f"poll tick (slot {slot} of {slots})", lambda s=slot, n=slots: pollable_channel_ids(slot=s, slots=n)
            )
        )
        print(measure("idle token refresh selection", lambda: idle_channel_ids(
            idle_for=IDLE_REFRESH_AFTER, spread=IDLE_REFRESH_SPREAD, limit=REFRESH_PER_RUN)))  # fmt: skip
        print(measure("webhook events sweep", channels_with_pending_events))
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


if __name__ == "__main__":
    main()

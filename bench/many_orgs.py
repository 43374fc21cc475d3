#!/usr/bin/env python
"""Benchmark of many organisations: what an idle channel costs, how fairly busy ones share.

Not a test. It builds its own PostgreSQL database (`--database`, dropped and re-created) and Redis
database (`--redis-db`, flushed), serves the sandbox with gunicorn, and connects `--channels` N
channels (default 1,000), each to its own sandbox app and organisation, as merchants would. It
starts the real `celery beat` and `--workers` real `celery worker` processes, then runs two phases:

0. **Warm-up**: each channel starts as after its pre-flight and first invoice (`warm`).
1. **Idle** (`--idle-minutes`): every channel connected and active, nothing to send, each with one
   invoice sent earlier. First half: each with a webhook key (nothing to poll): it prints the CPU
   of the workers and of beat per minute and per idle channel (the carrying cost), and what one
   beat sweep (`accounting.tasks.sweep_due`) runs: its queries and the table rows they read
   (EXPLAIN ANALYZE). Second half: without keys, so polled every XERO_POLL_SECONDS: the CPU per
   idle channel again, the polls made, and a poll's worker CPU above the carrying cost.
2. **Busy** (`--xero-minutes` of Xero time): `--busy` B channels (default 20) are switched on
   over a backlog of 3,000 invoices per Xero minute, while every other channel receives one
   invoice every `--trickle-every` seconds (at its own offset; slower when the channels would
   together pass `--trickle-rate` a second). It prints create → in Xero p50/p95/max of the
   trickle, each busy organisation's share of its own ceiling (its calls in the phase's whole Xero
   minutes from the switch-on ÷ 60 a minute; and its invoices stored ÷ 3,000 a minute, which the
   first minute's contact look-ups and creations also draw on), worker CPU per invoice sent,
   a sweep's queries and rows read again, Redis keys and PostgreSQL rows per channel, and Xero
   calls per channel per day for polls and token refreshes.

Rate-limit windows are scaled by `--scale` on both sides (0.1 → a Xero minute lasts 10 real
minutes): B organisations at Xero's ceiling are B × 3,000 invoices a minute, which this 2-core
machine could not build, send and store at real time. Beat's own periods (sweep 5 s, poll tick
60 s, a channel's poll every 900 s) are real time, as in production. Every CPU figure is also
printed per second of the reference workload (`bench/cpu.py`), so that machines compare.

    .venv/bin/python bench/many_orgs.py --channels 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cpu import CpuMeter, postmaster_pid, reference_seconds  # noqa: E402
from many_orgs_report import busy_report, cpu_line  # noqa: E402
from sync_throughput import CEILING_PER_ORG, load_store, start, warm_up  # noqa: E402

from drills.harness import environment, recreate_database, wait_for_port  # noqa: E402
from drills.processes import stop_group  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=1000, help="connected channels (one organisation each)")
    parser.add_argument("--busy", type=int, default=20, help="channels that drain a backlog in the busy phase")
    parser.add_argument("--scale", type=float, default=0.1, help="rate-limit time scale (0.1: a minute lasts 10)")
    parser.add_argument("--idle-minutes", type=float, default=4.0, help="real minutes of the idle phase (2 halves)")
    parser.add_argument("--xero-minutes", type=float, default=1.0, help="Xero minutes of the busy phase (≥ 1)")
    parser.add_argument("--trickle-every", type=float, default=240.0, help="seconds between a channel's invoices")
    parser.add_argument("--trickle-rate", type=float, default=4.0, help="at most this many a second in all")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn processes serving the sandbox")
    parser.add_argument("--database", default="bench_orgs")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def build_world(args: argparse.Namespace) -> tuple[list, list]:
    """Return (idle channels, busy channels): idle ones connected and active, busy ones connected,
    inactive, each over its backlog."""
    from django.db import transaction

    from drills.channels import SandboxOrg, sandbox_channel
    from organizations.models import Organization
    from stores.models import Store
    from xero_sandbox import testing

    backlog = int(CEILING_PER_ORG * (args.xero_minutes + 0.2))
    began = time.monotonic()
    idle: list = []
    busy: list = []
    for first in range(0, args.channels, 200):
        with transaction.atomic():
            for index in range(first, min(first + 200, args.channels)):
                is_busy = index < args.busy
                merchant = Organization.objects.create(name=f"Merchant {index}", slug=f"merchant-{index}")
                if is_busy:
                    store = load_store(organisation=merchant, index=index, count=backlog, customers=200)
                else:
                    store = Store.objects.create(organization=merchant, name=f"Store {index}", currency="GBP")
                app = testing.app_create(name=f"App {index}")
                books = testing.organisation_create(name=f"Books {index}")
                token = testing.token_issue(app=app, organisations=[books], expires_in=24 * 3600)
                org = SandboxOrg(books.name, str(books.tenant_id), app.client_id, app.client_secret, token)
                channel = sandbox_channel(org=org, store=store, tax_mapping={"20": "OUTPUT2"}, is_active=not is_busy)
                (busy if is_busy else idle).append(channel)
        print(f"  {min(first + 200, args.channels)} channels in {time.monotonic() - began:.0f} s", flush=True)
    return idle, busy


def warm(idle: list, *, timeout: float = 300.0) -> None:
    """Start every idle channel as after its pre-flight and first invoice: one channel sends a real
    invoice (reading its organisation's tax rates, currencies and chart, creating the contact),
    then its cached reads are copied to the others (every sandbox organisation has the same UK
    books), and every idle channel gets one invoice marked as sent earlier, so that it has
    something in Xero to watch (the poll's work)."""
    import uuid

    from django.db import close_old_connections

    from accounting.models import ChannelLineAccounts
    from accounting.sync.models import ChannelSyncSettings, RecordKind, SyncRecord, SyncState
    from stores.models import Invoice
    from stores.services import invoice_create

    first, today = idle[0], dt.date.today()
    invoice_create(store=_store(first.store_id), number="W-1", customer_name="Warm-up customer",
                   issue_date=today, due_date=today, lines=[{"description": "Item", "quantity": "1",
                   "unit_price": "9.99", "tax_rate": "20"}])  # fmt: skip
    deadline = time.monotonic() + timeout
    while not SyncRecord.objects.filter(channel=first, state=SyncState.SYNCED).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up invoice did not reach the sandbox")
        close_old_connections()
        time.sleep(0.2)
    model: Any
    for model in (ChannelSyncSettings, ChannelLineAccounts):
        source = model.objects.filter(channel=first).first()
        if source is None:
            continue
        copies = []
        for channel in idle[1:]:
            fields = {f.name: getattr(source, f.name) for f in model._meta.concrete_fields if not f.primary_key}
            fields["channel"] = channel
            if "tenant_id" in fields:
                fields["tenant_id"] = channel.tenant_id
            if isinstance(fields.get("chart"), dict) and "tenant_id" in fields["chart"]:
                fields["chart"] = {**fields["chart"], "tenant_id": channel.tenant_id}
            copies.append(model(**fields))
        model.objects.bulk_create(copies, batch_size=1000)
    invoices = Invoice.objects.bulk_create(
        Invoice(store_id=c.store_id, number=f"H-{c.pk}", customer_name="Earlier customer", currency="GBP",
                issue_date=today, due_date=today, subtotal=10, total_tax=2, total=12)
        for c in idle[1:]
    )  # fmt: skip
    SyncRecord.objects.bulk_create(
        (SyncRecord(channel=c, kind=RecordKind.INVOICE, object_id=invoice.pk, state=SyncState.SYNCED,
                    xero_id=str(uuid.uuid4())) for c, invoice in zip(idle[1:], invoices, strict=True)),
        batch_size=1000,
    )  # fmt: skip


def sweep_cost() -> tuple[int, int]:
    """Run one beat sweep here, as beat's task would; return (queries, table rows their plans read)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounting.sync.schedule.lanes import sync_sweep

    with CaptureQueriesContext(connection) as captured:
        sync_sweep()
    return len(captured.captured_queries), sum(rows_read(q["sql"]) for q in captured.captured_queries)


def rows_read(sql: str) -> int:
    """Return the table and index rows a statement's plan reads (EXPLAIN ANALYZE, rolled back)."""
    from django.db import connection, transaction

    if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "WITH", "DELETE")):
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    total = 0
    stack = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        if "Scan" in node["Node Type"]:
            read = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
            total += int(read * node.get("Actual Loops", 1))
        stack.extend(node.get("Plans", []))
    return total


def idle_phase(args: argparse.Namespace, *, meter: CpuMeter, idle: list, reference: float) -> None:
    """Two halves: every idle channel with a webhook key (nothing to poll: the carrying cost),
    then without (each polled every XERO_POLL_SECONDS, in its slot: the cost of the poll)."""
    from django.conf import settings
    from django.utils import timezone

    from accounting.sync.models import ChannelXeroFeed
    from xero_sandbox.models import RequestLog

    minutes = args.idle_minutes / 2
    print(f"\nIdle phase: {len(idle)} active channels with nothing to send, {args.idle_minutes:.1f} min…", flush=True)
    ChannelXeroFeed.objects.bulk_create(ChannelXeroFeed(channel=c, webhook_key="bench-webhook-key") for c in idle)
    meter.start()
    time.sleep(minutes * 60 / 2)
    queries, rows = sweep_cost()
    time.sleep(minutes * 60 / 2)
    carried = meter.stop()
    print(f"with webhooks (nothing to poll), {minutes:.1f} min:")
    print("  " + cpu_line("workers", carried["workers"], minutes, reference))
    print("  " + cpu_line("beat", carried["beat"], minutes, reference))
    both = carried["workers"] + carried["beat"]
    print("  " + cpu_line("workers + beat", both, minutes, reference, "per idle channel a minute", len(idle)))
    print(f"  database (whole server): {carried.get('database', 0.0) / minutes:.3f} CPU-s a minute")
    print(f"  one beat sweep: {queries} queries reading {rows} rows")

    ChannelXeroFeed.objects.update(webhook_key="")
    since = timezone.now()
    meter.start()
    time.sleep(minutes * 60)
    polled = meter.stop()
    polls = RequestLog.objects.filter(method="GET", path__contains="/Invoices", at__gte=since).count()
    extra = polled["workers"] + polled["beat"] - both
    print(f"polled (XERO_POLL_SECONDS {settings.XERO_POLL_SECONDS:.0f}), {minutes:.1f} min: {polls} polls")
    print("  " + cpu_line("workers + beat", polled["workers"] + polled["beat"], minutes, reference,
                          "per idle channel a minute", len(idle)))  # fmt: skip
    if polls:
        print(f"  a poll: {1000 * extra / polls:.1f} ms of worker CPU more than carrying "
              f"({1000 * extra / polls / reference:.1f} ms per reference second)")  # fmt: skip


def busy_phase(args: argparse.Namespace, *, meter: CpuMeter, idle: list, busy: list, reference: float) -> None:
    from django.db import close_old_connections
    from django.utils import timezone

    from stores.services import invoice_create

    xero_minute = 60.0 / args.scale
    length = args.xero_minutes * xero_minute
    rng = random.Random(args.seed)  # nosec B311  # bench randomness, not security
    every = max(args.trickle_every, len(idle) / args.trickle_rate)
    schedule = sorted(
        (rng.uniform(0, every) + k * every, channel.store_id)
        for channel in idle
        for k in range(int(length // every) + 1)
    )
    schedule = [(at, store_id) for at, store_id in schedule if at < length - 60]
    print(
        f"\nBusy phase: {len(busy)} channels drain {CEILING_PER_ORG * (args.xero_minutes + 0.2):.0f} invoices "
        f"each; {len(idle)} receive one every {every:.0f} s ({len(schedule)} invoices); "
        f"{length / 60:.1f} real minutes ({args.xero_minutes} Xero minutes at scale {args.scale})…",
        flush=True,
    )
    meter.start()
    started = time.monotonic()
    t0 = timezone.now()
    for channel in busy:
        channel.is_active = True
        channel.save()
    sweeps: list[tuple[int, int]] = []
    next_sweep = started + 60

    def sweep_now() -> None:
        nonlocal next_sweep
        if time.monotonic() >= next_sweep:
            sweeps.append(sweep_cost())
            next_sweep += 120

    today = dt.date.today()
    for n, (at, store_id) in enumerate(schedule):
        while time.monotonic() - started < at:
            sweep_now()
            time.sleep(min(0.05, max(0.0, at - (time.monotonic() - started))))
        close_old_connections()
        invoice_create(
            store=_store(store_id),
            number=f"T-{n:07d}",
            customer_name=f"Trickle customer {store_id}",
            issue_date=today,
            due_date=today + dt.timedelta(days=30),
            lines=[{"description": "Item", "quantity": "1", "unit_price": "9.99", "tax_rate": "20"}],
        )
    while time.monotonic() - started < length:
        sweep_now()
        time.sleep(1.0)
    used = meter.stop()
    busy_report(args=args, busy=busy, idle=idle, used=used, t0=t0, minutes=length / 60, sweeps=sweeps,
                reference=reference)  # fmt: skip


_stores: dict[int, object] = {}


def _store(store_id: int):
    from stores.models import Store

    if store_id not in _stores:
        _stores[store_id] = Store.objects.get(pk=store_id)
    return _stores[store_id]


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    env = environment(
        database=args.database, redis_db=args.redis_db, port=args.port, log_level="WARNING",
        XERO_SANDBOX_TIME_SCALE=str(args.scale), XERO_RATE_TIME_SCALE=str(args.scale),
        DATABASE_CONN_MAX_AGE="60",
        CELERY_BEAT_SCHEDULE_FILENAME=str(ROOT / ".local" / f"many-orgs-beat-{os.getpid()}"),
    )  # fmt: skip
    os.environ.update(env)
    (ROOT / ".local").mkdir(exist_ok=True)
    recreate_database(args.database)
    import django
    import redis

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    print(f"Connecting {args.channels} channels ({args.busy} with a backlog)…", flush=True)
    idle, busy = build_world(args)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum keeps them in production
    web = start([str(ROOT / ".venv/bin/gunicorn"), "channels_portal.wsgi:application", "-b", f"127.0.0.1:{args.port}",
                 "-w", str(args.web_workers), "--threads", "4", "--log-level", "warning"], env)  # fmt: skip
    wait_for_port(args.port)
    workers = [
        start(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "channels_portal",
                "worker",
                "--pool=threads",
                f"--concurrency={args.concurrency}",
                f"--hostname=orgs{n}@%h",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env,
        )
        for n in range(args.workers)
    ]
    beat = start([sys.executable, "-m", "celery", "-A", "channels_portal", "beat", "--loglevel=WARNING"], env)
    try:
        warm_up(site=env["SITE_URL"], web_workers=args.web_workers, workers=len(workers))
        reference = reference_seconds()
        print(f"reference workload: {reference:.3f} CPU-s", flush=True)
        trees = {"workers": [w.pid for w in workers], "beat": [beat.pid], "sandbox": [web.pid]}
        postmaster = postmaster_pid()
        if postmaster is not None:
            trees["database"] = [postmaster]
        meter = CpuMeter(trees)
        began = time.monotonic()
        warm(idle)
        print(f"warm-up (one real first invoice, reads copied): {time.monotonic() - began:.0f} s", flush=True)
        idle_phase(args, meter=meter, idle=idle, reference=reference)
        busy_phase(args, meter=meter, idle=idle, busy=busy, reference=reference)
    finally:
        for process in [beat, *workers, web]:
            stop_group(process)


if __name__ == "__main__":
    main()

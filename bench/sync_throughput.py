#!/usr/bin/env python
"""Benchmark of the sync engine: N invoices, W real Celery workers, the sandbox with its limits on.

Not a test. It builds its own PostgreSQL database (dropped and re-created: `--database`), uses
one Redis database (flushed: `--redis-db`), serves the portal (and so the sandbox) with gunicorn,
starts W `celery worker` processes (the first also runs beat), loads N invoices into K stores,
then connects one active channel per store, each to its own sandbox organisation and app, and
waits until every ledger row is synced or failed. Rate-limit windows are scaled by `--scale`
on both sides (10 → a Xero minute lasts 6 s).

It prints: invoices per scaled minute and the ratio to the ceiling (60 calls × 50 invoices =
3,000 per minute per organisation), Xero calls per invoice, 429s received, duplicates found in
the sandbox (must be 0), the spread of finish times across organisations, each worker's
peak RSS, and the CPU time per invoice of the portal's workers, of the sandbox (gunicorn) and of
the PostgreSQL server, with how many organisations one worker core keeps at Xero's ceiling
(60,000 ms ÷ (3,000 × worker CPU ms per invoice)). CPU is counted from /proc between the moment
the channels are connected and the moment the last organisation finishes.

    .venv/bin/python bench/sync_throughput.py --invoices 6000 --orgs 1 --workers 2 --scale 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import signal
import subprocess  # nosec B404  # starts the project's own gunicorn / pg_dump with fixed arguments
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cpu import reference_seconds  # noqa: E402  (bench/, the script's folder)

from drills.harness import environment as drill_environment  # noqa: E402
from drills.harness import recreate_database, wait_for_port  # noqa: E402
from drills.processes import stop_group  # noqa: E402

CEILING_PER_ORG = 60 * 50  # calls per minute × invoices per call


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=3000, help="invoices in total, split across organisations")
    parser.add_argument("--orgs", type=int, default=1, help="organisations (one store + channel each)")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--scale", type=float, default=10.0, help="rate-limit time scale (10: a minute lasts 6 s)")
    parser.add_argument("--customers", type=int, default=200, help="distinct customers per store")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn processes serving the sandbox")
    parser.add_argument("--database", default="bench_sync", help="PostgreSQL database to (re)create")
    parser.add_argument("--redis-db", type=int, default=5, help="Redis database number to flush and use")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--conn-max-age", type=int, default=60,
                        help="DATABASE_CONN_MAX_AGE of workers and sandbox (production: 60)")  # fmt: skip
    parser.add_argument("--cold", action="store_true",
                        help="start the clock 4 s after starting the processes, unwarmed (as before)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    return drill_environment(
        database=args.database, redis_db=args.redis_db, port=args.port, log_level="WARNING",
        XERO_SANDBOX_TIME_SCALE=str(args.scale),
        XERO_RATE_TIME_SCALE=str(args.scale),
        SYNC_SWEEP_SECONDS="1",
        # As production runs (settings.production: 60 s); base settings' 0 opens a connection per task.
        DATABASE_CONN_MAX_AGE=str(args.conn_max_age),
        CELERY_BEAT_SCHEDULE_FILENAME=str(ROOT / ".local" / "bench-celerybeat-schedule"),
    )  # fmt: skip


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL)  # nosec B603  # fixed argument list, no shell, no user input


def peak_rss_mb(pid: int) -> float:
    """Return the peak resident set (VmHWM) of a process and its children, in MB."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            total += int(line.split()[1])
    return total / 1024


def load_store(*, organisation, index: int, count: int, customers: int):
    """Create a store with `count` two-line invoices in bulk (streamed in chunks)."""
    from stores.models import Invoice, InvoiceLine, Store
    from stores.money import invoice_totals, line_amounts

    store = Store.objects.create(organization=organisation, name=f"Bench store {index}", currency="GBP")
    prices = [(Decimal("2"), Decimal("12.50"), Decimal("20")), (Decimal("1"), Decimal("3.99"), Decimal("20"))]
    amounts = [line_amounts(quantity=q, unit_price=p, tax_rate=t, discount_rate=Decimal("0")) for q, p, t in prices]
    totals = invoice_totals(amounts)
    today = dt.date.today()
    for start_at in range(0, count, 1000):
        batch = [
            Invoice(
                store=store,
                number=f"B{index:02d}-{n:06d}",
                customer_name=f"Customer {n % customers}",
                customer_email=f"customer{n % customers}@example.com",
                currency="GBP",
                issue_date=today,
                due_date=today + dt.timedelta(days=30),
                subtotal=totals.subtotal,
                total_tax=totals.total_tax,
                total=totals.total,
            )
            for n in range(start_at, min(start_at + 1000, count))
        ]
        Invoice.objects.bulk_create(batch)
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=invoice, position=pos, description=f"Item {pos}", quantity=q, unit_price=p,
                        tax_rate=t, line_amount=a.line_amount, tax_amount=a.tax_amount)
            for invoice in batch
            for pos, ((q, p, t), a) in enumerate(zip(prices, amounts, strict=True))
        )  # fmt: skip
    return store


def main() -> None:
    args = parse_args()
    # A TERM (a profile script stopping the bench, a CI timeout) still stops the workers it started.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    env = environment(args)
    os.environ.update(env)

    (ROOT / ".local").mkdir(exist_ok=True)
    recreate_database(args.database)

    import django
    import redis

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()

    from organizations.models import Organization
    from xero_sandbox import testing

    per_org = args.invoices // args.orgs
    print(f"Loading {per_org * args.orgs} invoices into {args.orgs} store(s)…", flush=True)
    setups = []
    for index in range(args.orgs):
        organisation = Organization.objects.create(name=f"Bench merchant {index}", slug=f"bench-{index}")
        store = load_store(organisation=organisation, index=index, count=per_org, customers=args.customers)
        app = testing.app_create(name=f"Bench app {index}")
        xero_org = testing.organisation_create(name=f"Bench Books {index}")
        token = testing.token_issue(app=app, organisations=[xero_org], expires_in=6 * 3600)
        setups.append((store, app, xero_org, token))

    web = start([str(ROOT / ".venv/bin/gunicorn"), "channels_portal.wsgi:application", "-b", f"127.0.0.1:{args.port}",
                 "-w", str(args.web_workers), "--threads", "4", "--log-level", "warning"], env)  # fmt: skip
    wait_for_port(args.port)
    workers = []
    for n in range(args.workers):
        cmd = [sys.executable, "-m", "celery", "-A", "channels_portal", "worker", "--pool=threads",
               f"--concurrency={args.concurrency}", f"--hostname=bench{n}@%h", "--loglevel=WARNING",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
        if n == 0:
            cmd += ["--beat"]
        workers.append(start(cmd, env))
    if args.cold:
        time.sleep(4)  # the bench before warm_up(): the clock could start on cold processes
    else:
        warm_up(site=env["SITE_URL"], web_workers=args.web_workers, workers=len(workers))
    from cpu import CpuMeter, postmaster_pid

    trees = {"workers": [w.pid for w in workers], "sandbox": [web.pid]}
    postmaster = postmaster_pid()
    if postmaster is not None:
        trees["database"] = [postmaster]
    meter = CpuMeter(trees)
    try:
        report(args=args, setups=setups, workers=workers, per_org=per_org, meter=meter)
    finally:
        for process in [*workers, web]:
            stop_group(process)


def warm_up(*, site: str, web_workers: int, workers: int, timeout: float = 120.0) -> None:
    """Start the clock on warm processes: each gunicorn process imports the URLconf and views on
    its first request (seconds on a loaded machine, which the first sync calls paid, one cold
    process after another), and a `celery worker` takes seconds to boot. Send a burst of
    concurrent requests to the sandbox, then wait until every worker answers a ping."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from channels_portal.celery import app

    url = f"{site}/xero-sandbox/api/api.xro/2.0/Organisation"
    with ThreadPoolExecutor(max_workers=4 * web_workers) as pool:
        list(pool.map(lambda _n: requests.get(url, timeout=timeout).status_code, range(12 * web_workers)))
    deadline = time.monotonic() + timeout
    while len(app.control.ping(timeout=1.0) or []) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError("the celery workers did not answer a ping")
    time.sleep(1.0)  # beat's first sweep, the workers' own start-up tasks


def connect_channels(setups: list) -> list:
    from django.db import transaction

    from drills.harness import connected_channel

    with transaction.atomic():
        return [
            connected_channel(store=store, app=app, organisation=xero_org, token=token)
            for store, app, xero_org, token in setups
        ]


def report(*, args: argparse.Namespace, setups: list, workers: list, per_org: int, meter) -> None:
    from django.db.models import Count

    from accounting.sync.models import SyncRecord, SyncState
    from xero_sandbox.models import Invoice as XeroInvoice
    from xero_sandbox.models import RequestLog

    print(f"Sending with {args.workers} worker(s) × {args.concurrency} threads, scale {args.scale}…", flush=True)
    meter.start()
    started = time.monotonic()
    started_wall = time.time()
    channels = connect_channels(setups)
    finished: dict[int, float] = {}
    while len(finished) < len(channels) and time.monotonic() - started < args.timeout:
        time.sleep(0.1)
        done = dict(
            SyncRecord.objects.filter(kind="invoice", state__in=[SyncState.SYNCED, SyncState.FAILED])
            .values_list("channel_id")
            .annotate(n=Count("id"))
            .values_list("channel_id", "n")
        )
        for channel in channels:
            if channel.pk not in finished and done.get(channel.pk, 0) >= per_org:
                finished[channel.pk] = time.monotonic() - started
    elapsed = max(finished.values(), default=time.monotonic() - started)
    cpu = meter.stop()
    rss = [peak_rss_mb(w.pid) for w in workers]
    tenants = [str(x.tenant_id) for _s, _a, x, _t in setups]
    synced = SyncRecord.objects.filter(kind="invoice", state=SyncState.SYNCED).count()
    failed = SyncRecord.objects.filter(kind="invoice", state=SyncState.FAILED).count()
    calls = RequestLog.objects.filter(organisation__tenant_id__in=tenants).count()
    too_many = RequestLog.objects.filter(organisation__tenant_id__in=tenants, status=429).count()
    in_xero = XeroInvoice.objects.filter(organisation__tenant_id__in=tenants)
    duplicates = in_xero.count() - in_xero.values("organisation", "invoice_number").distinct().count()
    scaled_minutes = elapsed / (60.0 / args.scale)
    per_minute = synced / scaled_minutes if scaled_minutes else 0.0
    times = sorted(finished.values())
    print()
    print(f"invoices: {per_org * len(channels)} in {len(channels)} organisation(s); synced {synced}, failed {failed}")
    print(f"elapsed: {elapsed:.1f} s real = {scaled_minutes:.2f} scaled minutes (scale {args.scale})")
    print(f"throughput: {per_minute:.0f} invoices per scaled minute "
          f"({per_minute / len(channels):.0f} per organisation)")  # fmt: skip
    print(f"ratio to ceiling (3,000/min/org): {per_minute / (CEILING_PER_ORG * len(channels)):.2f}")
    print(f"Xero calls per invoice: {calls / max(synced, 1):.4f} ({calls} calls)")
    print(f"429s received: {too_many}")
    print(f"duplicates in the sandbox: {duplicates}")
    if times:
        median = times[len(times) // 2]
        print(f"finish times: first {times[0]:.1f} s, median {median:.1f} s, last {times[-1]:.1f} s; "
              f"slowest {times[-1] / times[0] - 1:.0%} behind the fastest, "
              f"{times[-1] / median - 1:.0%} behind the median")  # fmt: skip
    if len(finished) < len(channels):
        print(f"TIMED OUT: {len(channels) - len(finished)} organisation(s) unfinished after {args.timeout:.0f} s")
    print("worker peak RSS (MB): " + ", ".join(f"{value:.0f}" for value in rss))
    timeline_report(tenants=tenants, started_wall=started_wall, elapsed=elapsed, scale=args.scale, orgs=len(channels))
    cpu_report(cpu=cpu, synced=synced, elapsed=elapsed)


def timeline_report(*, tenants: list[str], started_wall: float, elapsed: float, scale: float, orgs: int) -> None:
    """Where a run's time goes: time to the first call and the first invoice in Xero, the steady
    rate between 10% and 90% of the invoices, and the calls by kind."""
    from collections import Counter

    from xero_sandbox.models import Invoice as XeroInvoice
    from xero_sandbox.models import RequestLog

    stored = sorted(
        t.timestamp() - started_wall
        for t in XeroInvoice.objects.filter(organisation__tenant_id__in=tenants).values_list("created_at", flat=True)
    )
    calls = list(
        RequestLog.objects.filter(organisation__tenant_id__in=tenants)
        .order_by("at")
        .values_list("at", "method", "path", "status")
    )
    if not stored or not calls:
        return
    from accounting.sync.models import SyncAttempt, SyncRecord

    rows = SyncRecord.objects.filter(channel__tenant_id__in=tenants)
    first_claim = min((t.timestamp() for t in rows.values_list("claimed_at", flat=True) if t), default=started_wall)
    attempts = Counter(SyncAttempt.objects.filter(record__in=rows).values_list("outcome", flat=True))
    print(f"first row claimed at {first_claim - started_wall:.2f} s; attempts by outcome: "
          + ", ".join(f"{k} {v}" for k, v in attempts.most_common()))  # fmt: skip
    first_call = calls[0][0].timestamp() - started_wall
    first_write = stored[0]
    low, high = stored[len(stored) // 10], stored[(len(stored) * 9) // 10]
    steady = (len(stored) * 8 // 10) / (high - low) * (60.0 / scale) if high > low else 0.0
    print(f"timeline: first Xero call answered at {first_call:.2f} s, first invoice in Xero at {first_write:.2f} s, "
          f"10% at {low:.2f} s, 90% at {high:.2f} s, last at {stored[-1]:.2f} s "
          f"(finish seen at {elapsed:.2f} s)")  # fmt: skip
    print(f"steady rate (10%→90%): {steady:.0f} invoices per scaled minute, "
          f"ratio {steady / (CEILING_PER_ORG * orgs):.2f}")  # fmt: skip
    kinds = Counter(f"{method} {path.split('/api.xro/2.0/')[-1].split('/')[0].split('?')[0]} {status}"
                    for _t, method, path, status in calls)  # fmt: skip
    print("calls: " + ", ".join(f"{kind} ×{n}" for kind, n in kinds.most_common()))
    writes = [t.timestamp() - started_wall for t, method, path, _s in calls if method == "PUT" and "Invoices" in path]
    gaps = [b - a for a, b in itertools.pairwise(writes)]
    if gaps:
        gaps.sort()
        print(f"invoice PUTs: {len(writes)}, gap between answers p50 {1000 * gaps[len(gaps) // 2]:.0f} ms, "
              f"max {1000 * gaps[-1]:.0f} ms; one scaled call slot is {1000 * 60 / 60 / scale:.0f} ms")  # fmt: skip


def cpu_report(*, cpu: dict[str, float], synced: int, elapsed: float) -> None:
    per_invoice = {name: 1000 * seconds / max(synced, 1) for name, seconds in cpu.items()}
    worker_ms = per_invoice["workers"]
    print(f"CPU: workers {cpu['workers']:.1f} s = {worker_ms:.2f} ms per invoice; "
          f"sandbox {per_invoice['sandbox']:.2f} ms; "
          f"database {per_invoice.get('database', 0.0):.2f} ms (whole server)")  # fmt: skip
    print(f"organisations one worker core keeps at the ceiling: {60_000 / (CEILING_PER_ORG * worker_ms):.1f}"
          if worker_ms else "organisations one worker core keeps at the ceiling: n/a")  # fmt: skip
    reference = reference_seconds()
    database_ms = per_invoice.get("database", 0.0)
    print(
        f"reference workload: {reference:.3f} CPU-s; per reference second: workers {worker_ms / reference:.2f} ms, "
        f"sandbox {per_invoice['sandbox'] / reference:.2f} ms, database {database_ms / reference:.2f} ms per invoice"
    )
    cores = os.cpu_count() or 1
    print(
        f"machine busy: {cpu['machine']:.1f} CPU-s of {elapsed * cores:.1f} ({cores} cores); "
        f"outside the bench's processes: {cpu['machine'] - sum(v for k, v in cpu.items() if k != 'machine'):.1f} s"
    )


if __name__ == "__main__":
    main()

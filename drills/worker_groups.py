#!/usr/bin/env python
"""Drill: two worker groups, as if on two machines, drain one backlog; one group is lost mid-run.

Not a test (its reduced form is `tests/drills/test_worker_groups_drill.py`). On its own PostgreSQL
database and Redis database of the machine's servers (`--database`, `--redis-db`), it serves the
sandbox with gunicorn, connects `--orgs` channels (a store, its own sandbox organisation and
Core-tier app each) and writes `--invoices` invoices through the stores service while the channels are
switched off: the backlog. Then it starts what several machines of a deployment would run, sharing only
PostgreSQL and Redis:

- one `celery beat` (the scheduler: one per deployment);
- group "alpha" and group "beta": each its own `celery worker` process group, with its own
  hostname (`alpha@machine-a`, `beta@machine-b`) and its queues named on its command line
  (`-Q sync,celery`: the push turns and the beat's housekeeping).

Once both groups answer a ping, every channel is switched on at once; once `--kill-at` of the
backlog is in Xero, group beta is SIGKILLed, process group and all, as a
machine that loses power: the batches it held are neither finished nor acknowledged. Alpha is
left to finish. Then it compares the store, the ledger and the sandbox (as drill 1 does):

- lost: invoices whose row is missing, or says synced while the sandbox holds no such invoice;
- duplicated: invoices the sandbox holds more than once (by organisation and number);
- stuck: rows neither synced nor failed after `--drain-timeout`;
- stall: the longest time no invoice reached the sandbox after the kill (the lost group's rows
  come back when their lease runs out: `SYNC_ROW_LEASE_SECONDS`, set here to `--lease`).

Invoices go `--batch` to a call (10: many turns to share between the groups). It also prints each
group's CPU seconds from the switch-on to the kill (both worked) and the figures as JSON
with `--json`. Lost, duplicated and stuck must be 0 (exit status 1 otherwise).

    .venv/bin/python drills/worker_groups.py                    # 2,000 invoices of 10 organisations
    .venv/bin/python drills/worker_groups.py --invoices 400 --orgs 4   # the test's size
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess  # nosec B404  # starts the project's own celery processes with fixed arguments
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GROUPS = {"alpha": "machine-a", "beta": "machine-b"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--orgs", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="threads of each group's worker")
    parser.add_argument("--kill-at", type=float, default=0.3, help="share of the backlog in Xero when beta is lost")
    parser.add_argument("--lease", type=float, default=15.0, help="SYNC_ROW_LEASE_SECONDS of the run")
    parser.add_argument("--scale", type=float, default=10.0, help="rate-limit time scale (10: a minute lasts 6 s)")
    parser.add_argument("--batch", type=int, default=10, help="SYNC_BATCH_SIZE: invoices per Xero call (production 50)")
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--database", default="drill_worker_groups")
    parser.add_argument("--redis-db", type=int, default=11)
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    return parser.parse_args(argv)


def start_group(name: str, *, concurrency: int, log: Any) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "channels_portal", "worker", "--pool=threads",
        f"--concurrency={concurrency}", f"--hostname={name}@{GROUPS[name]}", "--queues=sync,celery",
        "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), start_new_session=True, stdout=log, stderr=log)  # nosec B603  # fixed argument list, no shell, no outside input


def groups_ready(*, timeout: float) -> None:
    """Return once both groups answer a Celery ping by their hostnames."""
    from channels_portal.celery import app

    names = {f"{name}@{machine}" for name, machine in GROUPS.items()}
    deadline = time.monotonic() + timeout
    while True:
        answered = {host for reply in app.control.ping(timeout=1.0) or [] for host in reply}
        if names <= answered:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"worker groups did not answer a ping: {sorted(names - answered)}")


def in_xero_count(tenants: list[str]) -> int:
    from xero_sandbox.models import Invoice as XeroInvoice

    return XeroInvoice.objects.filter(organisation__tenant_id__in=tenants).count()


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.update(
        SYNC_ROW_LEASE_SECONDS=str(args.lease), SYNC_SWEEP_SECONDS="1", DATABASE_CONN_MAX_AGE="60",
        XERO_SANDBOX_TIME_SCALE=str(args.scale), XERO_RATE_TIME_SCALE=str(args.scale), XERO_REQUEST_TIMEOUT="5",
        SYNC_BATCH_SIZE=str(args.batch),
    )  # fmt: skip
    from cpu import tree_seconds

    from drills.crash_books import invoice_write, organisations_create
    from drills.harness import sandbox, server_log
    from drills.processes import stop_group

    os.environ["CELERY_BEAT_SCHEDULE_FILENAME"] = str(ROOT / ".local" / f"groups-beat-{os.getpid()}")
    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port):
        from django.db import close_old_connections, transaction

        from accounting.models import AccountingChannel
        from drills.crash_checks import check

        setups = organisations_create(count=args.orgs)
        AccountingChannel.objects.filter(pk__in=[s.channel.pk for s in setups]).update(is_active=False)
        for n in range(args.invoices):
            invoice_write(setup=setups[n % len(setups)], n=n)
        tenants = [s.tenant_id for s in setups]
        log = open(server_log(args.database).with_suffix(".workers.log"), "w")  # noqa: SIM115 (closed below)
        beat = subprocess.Popen(  # nosec B603  # fixed argument list, no shell, no outside input
            [sys.executable, "-m", "celery", "-A", "channels_portal", "beat", "--loglevel=WARNING"],
            cwd=ROOT, env=dict(os.environ), start_new_session=True, stdout=log, stderr=log,
        )  # fmt: skip
        groups = {name: start_group(name, concurrency=args.concurrency, log=log) for name in GROUPS}
        figures: dict[str, Any] = {}
        try:
            groups_ready(timeout=120.0)
            cpu_ready = {name: tree_seconds(process.pid) for name, process in groups.items()}
            started = time.monotonic()
            with transaction.atomic():  # the backlog: every channel switched on at once
                for setup in setups:
                    channel = AccountingChannel.objects.get(pk=setup.channel.pk)
                    channel.is_active = True
                    channel.save()
            while in_xero_count(tenants) < args.kill_at * args.invoices:
                if time.monotonic() - started > args.drain_timeout:
                    raise RuntimeError("the backlog did not start draining")
                time.sleep(0.1)
            cpu_before = {name: round(tree_seconds(p.pid) - cpu_ready[name], 2) for name, p in groups.items()}
            stop_group(groups["beta"], sig=signal.SIGKILL)
            killed_at = time.monotonic()
            at_kill = in_xero_count(tenants)
            stall, last_count, last_change = 0.0, at_kill, killed_at
            from accounting.sync.models import SyncRecord, SyncState

            unsettled = SyncRecord.objects.exclude(state__in=[SyncState.SYNCED, SyncState.FAILED, SyncState.SKIPPED])
            while time.monotonic() - killed_at < args.drain_timeout:
                close_old_connections()
                count = in_xero_count(tenants)
                now = time.monotonic()
                if count != last_count:
                    stall, last_count, last_change = max(stall, now - last_change), count, now
                if not unsettled.exists():
                    break
                time.sleep(0.2)
            stall = max(stall, 0.0 if not unsettled.exists() else time.monotonic() - last_change)
            figures = check(setups=setups, created=args.invoices)
            figures.update(
                in_xero_at_kill=at_kill,
                cpu_before_kill=cpu_before,
                drain_after_kill_s=round(time.monotonic() - killed_at, 1),
                longest_stall_s=round(stall, 1),
                total_s=round(time.monotonic() - started, 1),
            )
        finally:
            for process in [*groups.values(), beat]:
                stop_group(process)
            log.close()
    return figures


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    figures = run(args)
    print(
        f"\n{args.invoices} invoices of {args.orgs} organisations; groups alpha and beta "
        f"(CPU-s before the kill: {figures['cpu_before_kill']}); beta SIGKILLed with "
        f"{figures['in_xero_at_kill']} in Xero; drained {figures['drain_after_kill_s']} s after the kill, "
        f"longest stall {figures['longest_stall_s']} s"
    )
    print(", ".join(f"{key} {figures[key]}" for key in ("created", "synced", "failed", "lost", "duplicated", "stuck")))
    if args.json:
        print(json.dumps(figures, default=str))
    from drills.crash_checks import passed

    sys.exit(0 if passed(figures) else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Drill 1, crash: invoices of many organisations synced while everything around the workers fails.

Not a test (its reduced form is `tests/drills/test_crash_drill.py`). It runs on PRIVATE services
it starts and restarts itself, so the machine's shared PostgreSQL and Redis are never touched:

- a PostgreSQL cluster (`initdb`/`pg_ctl` from /usr/lib/postgresql/*/bin, in a temporary
  folder, on a free port; run as the `postgres` user when the drill runs as root);
- a `redis-server` on a free port, keeping nothing on disk (broker, cache, limiter and the
  sandbox's rate counters all live there, as in production);
- gunicorn serving the portal and the Xero sandbox; `--workers` real `celery worker` processes
  (threads pool, the first with beat).

Then, for each of `--orgs` organisations, a store, a sandbox organisation (its own app, Core
tier) and an active channel; half of the organisations' sandboxes honour `Idempotency-Key`, the
other half ignore it. Every sandbox drops `--drop` of its write answers after commit and answers
`--server-errors` of all calls with 500/503. Invoices are then created through the stores
service (as the Billing API and pages do) at `--rate` a second, round-robin over the stores,
while, at points of the creation chosen at random (`--seed`):

- a worker process group is SIGKILLed (`--kills` times) and started again at once;
- every sandbox answers 429 to every call (a storm) from 20% to 30% of the creation (at least
  `--storm-seconds`, and until a worker met it);
- Redis is killed and started empty at 40% (every queued task and lane key is lost);
- PostgreSQL is stopped with `-m immediate` (a crash: transactions in flight are lost) and
  started again at 65%.

Then it waits (`--drain-timeout`) until every ledger row is synced or failed, and compares the
store's invoices, the ledger and the sandbox's stored invoices:

- created: invoices committed in the store; synced / failed: their ledger rows' states;
- lost: invoices whose row is missing, or says synced while the sandbox holds no such invoice
  under that number and id;
- duplicated: invoices the sandbox holds more than once (by organisation and number), plus any it
  holds that the store does not have;
- stuck: rows neither synced nor failed after the drain.

Lost, duplicated and stuck must be 0 (exit status 1 otherwise).

    .venv/bin/python drills/crash.py                       # full size: 5,000 invoices, 20 organisations
    .venv/bin/python drills/crash.py --invoices 300 --orgs 4 --kills 1 --rate 40   # the test's size

Payments and refunds: a second wave (`payments_write`) runs right after each invoice is written
(before it is synced, so the ledger must hold them until their invoice is in Xero): 30% of the
invoices get a card payment of 5.00 (reference `pay-<n>`), and 10% a partial refund of 2.00 through
`stores.payments.refund_record` — money back by card on paid invoices (a credit note paid out),
credit only within what is owed on the others (a credit note allocated to the invoice). Every
channel's consent includes `accounting.payments` and its operator chose the payment accounts
(default: the bank account 090; "card": the card clearing account 605), read from the sandbox over
HTTP before the faults are turned on. `check()` then also compares the store's payments with the
sandbox's payments by reference, and its refunds with the credit notes (`<invoice>-CN1`), their
allocations and refund payments: lost (no counterpart in the sandbox after the drain, or a missing
allocation / refund payment), duplicated (more than one per store record, or one the store does not
have), stuck (rows still pending). Lost, duplicated and stuck must be 0 for them too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import subprocess  # nosec B404  # runs fixed commands of the bench/drill's own processes
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drills.crash_books import WAVES, Setup, faults_set, organisations_create, payment_accounts_choose, retrying
from drills.crash_checks import check, passed, report
from drills.harness import ROOT, wait_for_port
from drills.processes import PrivatePostgres, PrivateRedis, Workers, free_port, stop_group

DATABASE = "crash_drill"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=5000, help="invoices in all, round-robin over organisations")
    parser.add_argument("--orgs", type=int, default=20, help="organisations (store + channel + sandbox each)")
    parser.add_argument("--rate", type=float, default=60.0, help="invoices created per second (at most)")
    parser.add_argument("--kills", type=int, default=6, help="worker SIGKILLs at random moments of the creation")
    parser.add_argument("--storm-seconds", type=float, default=10.0, help="the 429 storm lasts at least this long")
    parser.add_argument("--no-restarts", action="store_true", help="do not restart Redis and PostgreSQL")
    parser.add_argument("--drop", type=float, default=0.10, help="share of write answers dropped after commit")
    parser.add_argument("--server-errors", type=float, default=0.05, help="share of calls answered 500/503")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn processes (portal + sandbox)")
    parser.add_argument("--scale", type=float, default=10.0, help="rate-limit time scale (10: a minute lasts 6 s)")
    parser.add_argument("--lease", type=float, default=20.0, help="SYNC_ROW_LEASE_SECONDS of the workers")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="seconds to wait for rows to settle")
    parser.add_argument("--seed", type=int, default=None, help="random seed of the chaos schedule")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    parser.add_argument("--keep", action="store_true", help="keep the private services' folder")
    return parser.parse_args(argv)


def environment(*, args: argparse.Namespace, database_url: str, redis_url: str, port: int, folder: Path) -> dict:
    from cryptography.fernet import Fernet

    site = f"http://127.0.0.1:{port}"
    base = f"{site}/xero-sandbox"
    env = dict(os.environ)
    for name in ("TEST_DATABASE_NAME", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="channels_portal.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="drill-only-not-a-secret",  # nosec B106  # a throw-away value of a drill's own database
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="60",  # as production: connections outlive the PostgreSQL restart
        REDIS_URL=redis_url,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        XERO_SANDBOX_ENABLED="true",
        SITE_URL=site,
        XERO_LOGIN_URL=f"{base}/login",
        XERO_IDENTITY_URL=f"{base}/identity",
        XERO_API_URL=f"{base}/api",
        XERO_SANDBOX_TIME_SCALE=str(args.scale),
        XERO_RATE_TIME_SCALE=str(args.scale),
        XERO_REQUEST_TIMEOUT="5",
        SYNC_ROW_LEASE_SECONDS=str(args.lease),
        SYNC_SWEEP_SECONDS="1",
        LOG_LEVEL="ERROR",
        CELERY_BEAT_SCHEDULE_FILENAME=str(folder / "celerybeat-schedule"),
    )
    return env


@dataclass
class Chaos:
    """What happens at which point of the creation (a share of it, 0..1)."""

    kills: list[float]
    storm: tuple[float, float] = (0.20, 0.30)
    redis_at: float | None = 0.40
    postgres_at: float | None = 0.65
    log: list[str] = field(default_factory=list)


def chaos_plan(*, args: argparse.Namespace, rng: random.Random) -> Chaos:
    kills = sorted(rng.uniform(0.05, 0.95) for _ in range(args.kills))
    if args.no_restarts:
        return Chaos(kills=kills, redis_at=None, postgres_at=None)
    return Chaos(kills=kills)


def run(args: argparse.Namespace, *, out: Any = sys.stdout) -> dict[str, Any]:
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)  # nosec B311  # drill randomness (seeds, sampling), not security
    rng = random.Random(seed)  # nosec B311  # drill randomness (seeds, sampling), not security
    folder = Path(tempfile.mkdtemp(prefix="crash-drill-"))
    folder.chmod(0o755)  # the postgres user reaches its data folder through it
    postgres = PrivatePostgres(folder=folder, port=free_port(), database=DATABASE)
    redis_server = PrivateRedis(folder=folder, port=free_port())
    web = None
    workers = None
    log = open(folder / "processes.log", "w")  # noqa: SIM115 (closed in finally)
    try:
        print(f"Private PostgreSQL on {postgres.port}, Redis on {redis_server.port}, in {folder}", file=out, flush=True)
        postgres.init()
        redis_server.start()
        port = free_port()
        env = environment(args=args, database_url=postgres.url, redis_url=redis_server.url, port=port, folder=folder)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        setups = organisations_create(count=args.orgs)
        web = subprocess.Popen(  # nosec B603  # fixed argument list built by the drill itself, no shell, no outside input
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "channels_portal.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.web_workers),
                "--threads",
                "4",
                "--log-level",
                "error",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=log,
        )
        wait_for_port(port)
        payment_accounts_choose(setups)
        faults_set(setups, drop_share=args.drop, **{"500_share": args.server_errors / 2})
        faults_set(setups, **{"503_share": args.server_errors / 2})
        faults_set([s for s in setups if not s.honours_key], ignore_idempotency=True)
        workers = Workers(env=env, count=args.workers, concurrency=args.concurrency, log=log)
        workers.start()
        workers.wait_ready()
        chaos = chaos_plan(args=args, rng=rng)
        print(f"Seed {seed}; kills at {', '.join(f'{k:.0%}' for k in chaos.kills) or 'none'}", file=out, flush=True)
        started = time.monotonic()
        created = create_under_chaos(
            args=args,
            setups=setups,
            workers=workers,
            chaos=chaos,
            postgres=postgres,
            redis_server=redis_server,
            rng=rng,
            out=out,
        )
        created_in = time.monotonic() - started
        drain_started = time.monotonic()
        settled = drain(setups=setups, workers=workers, timeout=args.drain_timeout)
        drained_in = time.monotonic() - drain_started
        figures = retrying(lambda: check(setups=setups, created=created))
        figures.update(
            seed=seed,
            created_in_s=round(created_in, 1),
            drain_s=round(drained_in, 1),
            total_s=round(time.monotonic() - started, 1),
            settled=settled,
            kills=workers.kills,
            worker_deaths=workers.deaths,
            events=chaos.log,
        )
        report(figures=figures, args=args, out=out)
        return figures
    finally:
        if workers is not None:
            workers.stop()
        if web is not None:
            stop_group(web)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        redis_server.stop()
        postgres.stop()
        log.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def create_under_chaos(
    *,
    args: argparse.Namespace,
    setups: list[Setup],
    workers: Workers,
    chaos: Chaos,
    postgres: PrivatePostgres,
    redis_server: PrivateRedis,
    rng: random.Random,
    out: Any,
) -> int:
    """Write every wave's records at `args.rate` a second while the chaos plan unfolds."""
    started = time.monotonic()
    kills = list(chaos.kills)
    storm_on = storm_done = redis_done = postgres_done = False
    storm_at = 0.0

    def storm_over() -> bool:
        """The storm lasts `--storm-seconds`, and until the workers met it (a 429 answered), at most 120 s."""
        lasted = time.monotonic() - storm_at
        return lasted >= args.storm_seconds and (lasted > 120 or retrying(lambda: storm_answers(setups)) > 0)

    def event(text: str) -> None:
        line = f"{time.monotonic() - started:6.1f} s  {text}"
        chaos.log.append(line)
        print(line, file=out, flush=True)

    total = args.invoices
    for n in range(total):
        progress = n / total
        while kills and progress >= kills[0]:
            kills.pop(0)
            flying = retrying(lambda: in_flight(setups))
            event(f"SIGKILL worker {workers.kill_one(rng)} (restarted); {flying} rows were in flight")
        if not storm_on and not storm_done and progress >= chaos.storm[0]:
            retrying(lambda: faults_set(setups, **{"429_storm": True}))
            storm_on, storm_at = True, time.monotonic()
            event("429 storm on")
        if storm_on and progress >= chaos.storm[1] and storm_over():
            retrying(lambda: faults_set(setups, **{"429_storm": False}))
            storm_on, storm_done = False, True
            event("429 storm off")
        if chaos.redis_at is not None and not redis_done and progress >= chaos.redis_at:
            redis_server.crash()
            event("Redis killed")
            time.sleep(2.0)
            redis_server.start()
            redis_done = True
            event("Redis started (empty)")
        if chaos.postgres_at is not None and not postgres_done and progress >= chaos.postgres_at:
            postgres.crash()
            event("PostgreSQL stopped (immediate)")
            time.sleep(2.0)
            postgres.start()
            postgres_done = True
            event("PostgreSQL started")
        for wave in WAVES:
            wave.write(setup=setups[n % len(setups)], n=n)
        workers.keep_alive()
        behind = started + (n + 1) / args.rate - time.monotonic()
        if behind > 0:
            time.sleep(behind)
    event(f"created {total} invoices")
    while storm_on and not storm_over():
        time.sleep(0.5)
    if storm_on:
        retrying(lambda: faults_set(setups, **{"429_storm": False}))
        event("429 storm off")
    return total


def storm_answers(setups: list[Setup]) -> int:
    from xero_sandbox.models import RequestLog

    return RequestLog.objects.filter(organisation__tenant_id__in=[s.tenant_id for s in setups], status=429).count()


def in_flight(setups: list[Setup]) -> int:
    from accounting.sync.models import SyncRecord, SyncState

    return SyncRecord.objects.filter(channel_id__in=[s.channel.pk for s in setups], state=SyncState.IN_FLIGHT).count()


def drain(*, setups: list[Setup], workers: Workers, timeout: float) -> bool:
    """Wait until no ledger row of the drill's channels is pending or in flight; return whether it settled."""
    from accounting.sync.models import SyncRecord, SyncState

    channels = [s.channel.pk for s in setups]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers.keep_alive()
        unsettled = retrying(
            lambda: (
                SyncRecord.objects.filter(channel_id__in=channels)
                .exclude(state__in=[SyncState.SYNCED, SyncState.FAILED, SyncState.SKIPPED])
                .count()
            )
        )
        if unsettled == 0:
            return True
        time.sleep(1.0)
    return False


@contextlib.contextmanager
def _terminated_on_sigterm() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    args = parse_args()
    with _terminated_on_sigterm():
        figures = run(args)
    sys.exit(0 if passed(figures) else 1)


if __name__ == "__main__":
    main()

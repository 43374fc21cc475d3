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
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess  # nosec B404  # runs fixed commands of the bench/drill's own processes
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
class Setup:
    store: Any
    channel: Any
    tenant_id: str
    honours_key: bool


SCOPES = ["offline_access", "accounting.invoices", "accounting.payments", "accounting.contacts", "accounting.settings"]
BANK_ACCOUNT = "090"  # the UK books' "Business Bank Account" (BANK)
CARD_ACCOUNT = "605"  # "Card Payments Clearing" (EnablePaymentsToAccount)


def organisations_create(*, count: int) -> list[Setup]:
    """A merchant, store, sandbox organisation (own Core-tier app) and active channel per index."""
    from drills.harness import connected_channel
    from organizations.models import Organization
    from stores.models import Store
    from xero_sandbox import testing

    setups = []
    for index in range(count):
        merchant = Organization.objects.create(name=f"Crash merchant {index}", slug=f"crash-{index}")
        store = Store.objects.create(organization=merchant, name=f"Crash store {index}", currency="GBP")
        app = testing.app_create(name=f"Crash app {index}", tier="core")
        books = testing.organisation_create(name=f"Crash Books {index}")
        token: Any = testing.token_issue(app=app, organisations=[books], scopes=SCOPES, expires_in=6 * 3600)
        channel = connected_channel(
            store=store, app=app, organisation=books, token=token, scopes=" ".join(SCOPES),
            tax_types=(("0", "ZERORATEDOUTPUT"), ("20", "OUTPUT2")),
        )  # fmt: skip
        setups.append(Setup(store, channel, str(books.tenant_id), honours_key=index % 2 == 0))
    return setups


def faults_set(setups: list[Setup], **faults: Any) -> None:
    from xero_sandbox import testing

    for setup in setups:
        testing.faults_set(organisation=setup.tenant_id, **faults)


def retrying(action: Callable[[], Any], *, done: Callable[[], bool] | None = None, timeout: float = 120.0) -> Any:
    """Run a database action, riding out a PostgreSQL restart: on a connection error, close the
    connection, wait, and run it again unless `done()` says the first try did commit."""
    from django.db import Error, connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            if done is not None and done():
                return None
            return action()
        except Error:
            if time.monotonic() > deadline:
                raise
            with contextlib.suppress(Exception):
                connection.close()
            time.sleep(0.5)


def invoice_write(*, setup: Setup, n: int) -> None:
    """Create one invoice through the stores service (its ledger row rides on its transaction)."""
    from stores.models import Invoice
    from stores.services import invoice_create

    number = f"C-{n:06d}"
    line = {
        "description": f"Order {n}",
        "quantity": Decimal("1"),
        "unit_price": Decimal("9.99"),
        "tax_rate": Decimal("20"),
    }
    committed = {"maybe": False}

    def create() -> None:
        committed["maybe"] = True
        invoice_create(
            store=setup.store,
            number=number,
            customer_name=f"Customer {n % 13}",
            customer_email=f"customer{n % 13}@example.com",
            issue_date=dt.date(2026, 5, 1),
            due_date=dt.date(2026, 5, 31),
            lines=[line],
        )

    def exists() -> bool:  # a create whose commit answer was lost with the server
        return committed["maybe"] and Invoice.objects.filter(store=setup.store, number=number).exists()

    retrying(create, done=exists)


@dataclass(frozen=True)
class Wave:
    """Records written while the chaos runs: `write(setup, n)` for n in range(count)."""

    name: str
    write: Callable[..., None]


PAYMENT = Decimal("5.00")
REFUND = Decimal("2.00")


def paid(n: int) -> bool:
    """30% of the invoices get a card payment."""
    return n % 10 in (0, 3, 6)


def refunded(n: int) -> bool:
    """10%: a refund, money back on a paid invoice (n % 10 == 0), credit only on an unpaid one (n % 10 == 5)."""
    return n % 20 in (0, 5)


def payments_write(*, setup: Setup, n: int) -> None:
    """Record the store's payment and refund of invoice n, if it gets any (just written, not yet synced)."""
    from stores.models import Invoice, Payment, Refund
    from stores.payments import payment_record, refund_record

    if not paid(n) and not refunded(n):
        return
    number = f"C-{n:06d}"
    committed = {"payment": False, "refund": False}

    def pay() -> None:
        committed["payment"] = True
        invoice = Invoice.objects.get(store=setup.store, number=number)
        payment_record(invoice=invoice, amount=PAYMENT, date=dt.date(2026, 5, 2), method="card", reference=f"pay-{n}")

    def refund() -> None:
        committed["refund"] = True
        invoice = Invoice.objects.get(store=setup.store, number=number)
        refund_record(
            invoice=invoice,
            date=dt.date(2026, 5, 3),
            amount=REFUND,
            reason=f"Refund {n}",
            method="card" if paid(n) else "",
            reference=f"ref-{n}",
        )

    if paid(n):
        retrying(pay, done=lambda: committed["payment"] and Payment.objects.filter(reference=f"pay-{n}").exists())
    if refunded(n):
        retrying(refund, done=lambda: committed["refund"] and Refund.objects.filter(reference=f"ref-{n}").exists())


def payment_accounts_choose(setups: list[Setup]) -> None:
    """As an operator would: read each organisation's payment accounts from Xero (the sandbox, over
    HTTP) and choose the bank account by default and the card clearing account for "card"."""
    from accounting.books.payment_accounts import (
        channel_payment_accounts_refresh,
        channel_payment_accounts_set,
        payment_accounts_cached,
    )

    for setup in setups:
        channel_payment_accounts_refresh(channel=setup.channel)
        ids = {a["code"]: a["account_id"] for a in payment_accounts_cached(channel=setup.channel) or []}
        channel_payment_accounts_set(channel=setup.channel, choices={"": ids[BANK_ACCOUNT], "card": ids[CARD_ACCOUNT]})


WAVES = [Wave("invoices", invoice_write), Wave("payments and refunds", payments_write)]


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


def check(*, setups: list[Setup], created: int) -> dict[str, Any]:
    """Compare the store's invoices, the ledger and the sandbox's stored invoices."""
    from accounting.sync.models import RecordKind, SyncRecord, SyncState
    from stores.models import Invoice
    from xero_sandbox.models import Invoice as XeroInvoice
    from xero_sandbox.models import RequestLog

    figures: dict[str, Any] = {}
    for mode, group in (
        ("honoured", [s for s in setups if s.honours_key]),
        ("ignored", [s for s in setups if not s.honours_key]),
    ):
        counts = Counter[str]()
        for setup in group:
            invoices = dict(Invoice.objects.filter(store=setup.store).values_list("pk", "number"))
            rows = {
                object_id: (state, xero_id)
                for object_id, state, xero_id in SyncRecord.objects.filter(
                    channel=setup.channel, kind=RecordKind.INVOICE
                ).values_list("object_id", "state", "xero_id")
            }
            in_xero = Counter[str]()
            ids: dict[str, set[str]] = {}
            for number, invoice_id in XeroInvoice.objects.filter(organisation__tenant_id=setup.tenant_id).values_list(
                "invoice_number", "invoice_id"
            ):
                in_xero[number] += 1
                ids.setdefault(number, set()).add(str(invoice_id))
            counts["created"] += len(invoices)
            for pk, number in invoices.items():
                state, xero_id = rows.get(pk, ("", ""))
                if state == SyncState.SYNCED:
                    counts["synced"] += 1
                    if xero_id not in ids.get(number, set()):
                        counts["lost"] += 1
                elif state == SyncState.FAILED:
                    counts["failed"] += 1
                elif state == "":
                    counts["lost"] += 1
                else:
                    counts["stuck"] += 1
            known = set(invoices.values())
            counts["duplicated"] += sum(n - 1 for n in in_xero.values() if n > 1)
            counts["duplicated"] += sum(n for number, n in in_xero.items() if number not in known)
            logged = RequestLog.objects.filter(organisation__tenant_id=setup.tenant_id)
            counts["calls"] += logged.count()
            counts["answers_dropped"] += logged.filter(status=0).count()
            counts["answers_5xx"] += logged.filter(status__gte=500).count()
            counts["answers_429"] += logged.filter(status=429).count()
            counts["replays"] += logged.filter(note="idempotent replay").count()
        figures[mode] = {
            key: counts[key]
            for key in (
                "created",
                "synced",
                "failed",
                "lost",
                "duplicated",
                "stuck",
                "calls",
                "answers_dropped",
                "answers_5xx",
                "answers_429",
                "replays",
            )
        }
    for key in ("created", "synced", "failed", "lost", "duplicated", "stuck"):
        figures[key] = figures["honoured"][key] + figures["ignored"][key]
    for kind, checker in (("payments", payments_check), ("refunds", refunds_check)):
        counts = Counter[str]()
        for setup in setups:
            counts.update(checker(setup=setup))
        main = ("created", "synced", "failed", "lost", "duplicated", "stuck")
        figures[kind] = {key: counts[key] for key in main} | {k: v for k, v in sorted(counts.items()) if k not in main}
    figures["expected"] = created
    from accounting.sync.models import SyncAttempt

    figures["attempts"] = dict(
        Counter(
            SyncAttempt.objects.filter(record__channel_id__in=[s.channel.pk for s in setups]).values_list(
                "outcome", flat=True
            )
        )
    )
    return figures


def _rows(*, setup: Setup, kind: str) -> dict[int, tuple[str, str, dict, str]]:
    """{store object id: (state, xero_id, xero_refs, last message)} of the channel's rows of `kind`."""
    from accounting.sync.models import SyncRecord

    return {
        object_id: (state, xero_id, refs or {}, message)
        for object_id, state, xero_id, refs, message in SyncRecord.objects.filter(
            channel=setup.channel, kind=kind
        ).values_list("object_id", "state", "xero_id", "xero_refs", "last_error")
    }


def _settle(counts: Counter[str], *, state: str) -> None:
    from accounting.sync.models import SyncState

    if state == SyncState.SYNCED:
        counts["synced"] += 1
    elif state == SyncState.FAILED:
        counts["failed"] += 1
    elif state == SyncState.SKIPPED:
        counts["skipped"] += 1
    elif state == "":
        counts["lost"] += 1
    else:
        counts["stuck"] += 1


def payments_check(*, setup: Setup) -> Counter[str]:
    """The store's payments vs the sandbox's payments on the organisation's invoices (by Reference:
    the store's reference `pay-<n>`, which the payments sync sends as the Xero payment's Reference)."""
    from accounting.sync.models import RecordKind, SyncState
    from stores.models import Payment, PaymentSource
    from xero_sandbox.models import Payment as XeroPayment

    counts = Counter[str]()
    payments = dict(
        Payment.objects.filter(invoice__store=setup.store, source=PaymentSource.STORE).values_list("pk", "reference")
    )
    rows = _rows(setup=setup, kind=RecordKind.PAYMENT)
    held: dict[str, set[str]] = {}
    for reference, payment_id in (
        XeroPayment.objects.filter(invoice__organisation__tenant_id=setup.tenant_id, credit_note__isnull=True)
        .exclude(status="DELETED")
        .values_list("reference", "payment_id")
    ):
        held.setdefault(reference, set()).add(str(payment_id))
    counts["created"] = len(payments)
    counts["in_xero"] = sum(len(ids) for ids in held.values())
    for pk, reference in payments.items():
        state, xero_id, _refs, message = rows.get(pk, ("", "", {}, ""))
        _settle(counts, state=state)
        if state == SyncState.SYNCED and xero_id not in held.get(reference, set()):
            counts["lost"] += 1
        if state == SyncState.FAILED:
            counts[f"failed: {message[:120]}"] += 1
    counts["duplicated"] += sum(len(ids) - 1 for ids in held.values() if len(ids) > 1)
    counts["duplicated"] += sum(len(ids) for reference, ids in held.items() if reference not in payments.values())
    return counts


def refunds_check(*, setup: Setup) -> Counter[str]:
    """The store's refunds vs the sandbox's credit notes (`<invoice number>-CN1`: one refund per
    invoice here), their allocations (credit only) and refund payments (money back)."""
    from accounting.sync.models import RecordKind, SyncState
    from stores.models import Refund
    from xero_sandbox.models import Allocation, CreditNote
    from xero_sandbox.models import Payment as XeroPayment

    counts = Counter[str]()
    refunds = list(Refund.objects.filter(invoice__store=setup.store).values_list("pk", "invoice__number", "method"))
    rows = _rows(setup=setup, kind=RecordKind.REFUND)
    notes: dict[str, set[str]] = {}
    for number, note_id in CreditNote.objects.filter(organisation__tenant_id=setup.tenant_id).values_list(
        "credit_note_number", "credit_note_id"
    ):
        notes.setdefault(number, set()).add(str(note_id))
    allocations = Counter(
        str(note_id)
        for note_id in Allocation.objects.filter(credit_note__organisation__tenant_id=setup.tenant_id).values_list(
            "credit_note__credit_note_id", flat=True
        )
    )
    paid_back = Counter(
        str(note_id)
        for note_id in XeroPayment.objects.filter(credit_note__organisation__tenant_id=setup.tenant_id)
        .exclude(status="DELETED")
        .values_list("credit_note__credit_note_id", flat=True)
    )
    counts["created"] = len(refunds)
    counts["credit_notes"] = sum(len(ids) for ids in notes.values())
    counts["allocations"] = sum(allocations.values())
    counts["refund_payments"] = sum(paid_back.values())
    expected = set()
    for pk, invoice_number, method in refunds:
        number = f"{invoice_number}-CN1"
        expected.add(number)
        counts["money_back" if method else "credit_only"] += 1
        state, xero_id, refs, message = rows.get(pk, ("", "", {}, ""))
        _settle(counts, state=state)
        if state == SyncState.FAILED:
            counts[f"failed: {message[:120]}"] += 1
        if state != SyncState.SYNCED:
            continue
        if xero_id not in notes.get(number, set()):
            counts["lost"] += 1  # no credit note in Xero for it
        elif method and paid_back[xero_id] == 0:
            counts["lost"] += 1  # the money went back in the store, not in Xero
            counts["lost_refund_payments"] += 1
        elif not method and allocations[xero_id] == 0 and refs.get("allocation_id") != "":
            counts["lost"] += 1  # credited in the store, the invoice still owes it in Xero
            counts["lost_allocations"] += 1
    counts["duplicated"] += sum(len(ids) - 1 for ids in notes.values() if len(ids) > 1)
    counts["duplicated"] += sum(len(ids) for number, ids in notes.items() if number not in expected)
    counts["duplicated"] += sum(n - 1 for n in allocations.values() if n > 1)
    counts["duplicated"] += sum(n - 1 for n in paid_back.values() if n > 1)
    return counts


def report(*, figures: dict[str, Any], args: argparse.Namespace, out: Any) -> None:
    print(file=out)
    print(
        f"invoices: {args.invoices} in {args.orgs} organisations, {args.workers} workers × {args.concurrency} threads, "
        f"scale {args.scale}, drop {args.drop:.0%}, 5xx {args.server_errors:.0%}, seed {figures['seed']}",
        file=out,
    )
    print(
        f"worker kills: {figures['kills']} (unplanned deaths: {figures['worker_deaths']}); "
        f"Redis and PostgreSQL restarted: {'no' if args.no_restarts else 'once each'}",
        file=out,
    )
    for mode in ("honoured", "ignored"):
        f = figures[mode]
        print(
            f"Idempotency-Key {mode}: created {f['created']}, synced {f['synced']}, failed {f['failed']}, "
            f"lost {f['lost']}, duplicated {f['duplicated']}, stuck {f['stuck']}; calls {f['calls']}, "
            f"answers dropped {f['answers_dropped']}, 5xx {f['answers_5xx']}, 429 {f['answers_429']}, "
            f"replays {f['replays']}",
            file=out,
        )
    for kind in ("payments", "refunds"):
        print(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in figures[kind].items()), file=out)
    print("attempts by outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["attempts"].items())), file=out)
    print(
        f"created {figures['created']} (of {figures['expected']}), synced {figures['synced']}, "
        f"failed {figures['failed']}, lost {figures['lost']}, duplicated {figures['duplicated']}, "
        f"stuck {figures['stuck']}",
        file=out,
    )
    print(
        f"time: creation {figures['created_in_s']} s, drain {figures['drain_s']} s "
        f"({'settled' if figures['settled'] else 'NOT settled'}), total {figures['total_s']} s",
        file=out,
    )
    if args.json:
        print(json.dumps(figures), file=out)


def passed(figures: dict[str, Any]) -> bool:
    for kind in ("payments", "refunds"):
        counts = figures[kind]
        if any(counts.get(key, 0) for key in ("lost", "duplicated", "stuck")):
            return False
    return (
        figures["lost"] == 0
        and figures["duplicated"] == 0
        and figures["stuck"] == 0
        and figures["created"] == figures["expected"]
    )


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

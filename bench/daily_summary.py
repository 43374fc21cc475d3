#!/usr/bin/env python
"""Benchmark of posting per day: a store day of N invoices (default 20,000) as one Xero invoice.

Not a test. It builds its own PostgreSQL database (`--database`, dropped and re-created) and Redis
database (`--redis-db`, flushed), serves the sandbox with gunicorn in processes of its own, and sets
up one store (GBP, Europe/London) whose channel is connected to a sandbox organisation and posts
one summary invoice per day from a closed day (`--days-ago`, default 3 days before the store's
today): line accounts (rounding 860, discounts on the line), payment accounts (default 090, card
605, bank transfer 091; PayPal takes the default), the UK tax mapping. It then creates N store
invoices of that day through the store's own services (`invoice_create`, `payment_record`: the
ledger rows are written by their signals, as in production), 1-4 product lines each at 20/5/0%,
some discounted, and payments for most of them by card, PayPal or bank transfer.

Then this process runs the engine as a worker would, `channel_push_turn` after turn (like the
tests' `drain`), in two phases:

1. **collecting**: every turn that takes invoice or payment rows, which go into the day's summary
   (`accounting/sync/push/summarise.py`); its Xero calls are the look-ups of the books (tax rates,
   currencies, accounts) the summary lines need;
2. **sending**: the turns that take the summary's row (`accounting/sync/push/summaries.py`): the
   contact, the summary invoice, one payment per method.

It prints, per phase: the Xero calls by kind (the sandbox's request log), the engine's CPU (this
process's `time.process_time` around each turn only: the sandbox runs in gunicorn, so none of its
work is in it), the database queries the turns sent, the wall time; the CPU of the sandbox
(gunicorn) and of the PostgreSQL server (the whole server: noisy when others use it) from /proc;
the ledger rows and summary entries written; and it checks the result in the sandbox: exactly one
Xero invoice for the day whose Total is the sum of the store invoices' totals to the cent, one
payment per method whose amounts are the store payments' sums. It exits with 1 when a check fails.

    .venv/bin/python bench/daily_summary.py --invoices 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import resource
import signal
import socket
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cpu import CpuMeter, postmaster_pid, reference_seconds  # noqa: E402  (bench/, the script's folder)
from sync_throughput import start  # noqa: E402

from drills.harness import environment, recreate_database, wait_for_port  # noqa: E402
from drills.processes import stop_group  # noqa: E402

CENT = Decimal("0.01")
# Payment methods as a store names them, with their share of the paid invoices.
METHODS = [("card", 60), ("paypal", 25), ("bank transfer", 15)]
RATES = [(Decimal("20"), 70), (Decimal("5"), 15), (Decimal("0"), 15)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=20000, help="store invoices of the day")
    parser.add_argument("--paid", type=float, default=0.85, help="share of the invoices paid (in full)")
    parser.add_argument("--split", type=float, default=0.05, help="share of the paid ones paid in two payments")
    parser.add_argument("--days-ago", type=int, default=3, help="the day: this many days before the store's today")
    parser.add_argument("--customers", type=int, default=2000, help="distinct customers")
    parser.add_argument("--per-commit", type=int, default=100,
                        help="while loading, invoices (then the payments of as many invoices) per transaction; "
                             "1: each service call commits on its own, as separate requests would")  # fmt: skip
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes serving the sandbox")
    parser.add_argument("--database", default="bench_daily_summary", help="PostgreSQL database to (re)create")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis database number to flush and use")
    parser.add_argument("--port", type=int, default=8813)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up draining after this many seconds")
    parser.add_argument("--query-times", type=int, default=0, metavar="N",
                        help="also time every statement of the turns and print each phase's N slowest kinds "
                             "(adds a little CPU to the engine's figure)")  # fmt: skip
    return parser.parse_args()


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


# Set-up ---------------------------------------------------------------------------------------------


def summary_channel(*, day: dt.date) -> Any:
    """One store (GBP, Europe/London) and its channel, connected to a new sandbox organisation,
    posting one summary invoice per day from `day` on (set up as the tests' `summary_channel`)."""
    from accounting.books.line_accounts import channel_chart_refresh, channel_line_accounts_set
    from accounting.books.payment_accounts import (
        channel_payment_accounts_refresh,
        channel_payment_accounts_set,
        payment_accounts_cached,
    )
    from accounting.models import PostingMode
    from accounting.services.posting import PostingChoice, channel_posting_set
    from drills.channels import UK_TAX_MAPPING, sandbox_channel, sandbox_org
    from organizations.models import Organization
    from stores.services import store_create

    merchant = Organization.objects.create(name="Day merchant", slug="day-merchant")
    store = store_create(
        organization=merchant, name="Day Shop", platform="custom", currency="GBP", time_zone="Europe/London"
    )
    org = sandbox_org("Day Shop Books Ltd", expires_in=12 * 3600)
    channel = sandbox_channel(org=org, store=store, tax_mapping=UK_TAX_MAPPING, name="Xero", account_nominal_code="200")
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={"rounding_account": "860", "discount_mode": "line"})
    channel_payment_accounts_refresh(channel=channel)
    ids = {a["code"]: a["account_id"] for a in payment_accounts_cached(channel=channel) or []}
    channel_payment_accounts_set(
        channel=channel, choices={"": ids["090"], "card": ids["605"], "bank transfer": ids["091"]}
    )
    channel_posting_set(channel=channel, choice=PostingChoice(mode=PostingMode.DAILY_SUMMARY, starts_on=day))
    return channel


def weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _w in choices], weights=[w for _v, w in choices])[0]


def invoice_lines(rng: random.Random, number: int) -> list[dict[str, Any]]:
    """1-4 product lines at 20, 5 or 0%, a tenth of them with a discount."""
    lines = []
    for position in range(rng.choice([1, 1, 2, 2, 2, 3, 3, 4])):
        line: dict[str, Any] = {
            "description": f"Item {number}-{position + 1}",
            "quantity": Decimal(rng.choice([1, 1, 1, 2, 3])),
            "unit_price": Decimal(rng.randint(99, 9999)) / 100,
            "tax_rate": weighted(rng, RATES),
        }
        if rng.random() < 0.1:
            line["discount_rate"] = Decimal(rng.choice([5, 10, 15]))
        lines.append(line)
    return lines


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def grouped(every: int) -> Any:
    """The transaction `every` store writes share (none when 1: each service commits on its own)."""
    from django.db import transaction

    return transaction.atomic() if every > 1 else nullcontext()


def load_day(*, args: argparse.Namespace, channel: Any, day: dt.date) -> tuple[float, float, int]:
    """Create the day's invoices, then their payments, through the store's services; return the
    seconds each took and the payments made."""
    from stores.payments import payment_record
    from stores.services import invoice_create

    rng = random.Random(args.seed)  # nosec B311  # a reproducible workload of a benchmark, not a secret
    store = channel.store
    every = max(args.per_commit, 1)
    began = time.perf_counter()
    invoices = []
    for numbers in chunks(list(range(1, args.invoices + 1)), every):
        with grouped(every):
            for n in numbers:
                customer = rng.randrange(args.customers)
                invoices.append(
                    invoice_create(
                        store=store,
                        number=f"D-{n:06d}",
                        customer_name=f"Customer {customer}",
                        customer_email=f"customer{customer}@example.com",
                        issue_date=day,
                        due_date=day,
                        lines=invoice_lines(rng, n),
                    )
                )
        if len(invoices) % 5000 < every:
            print(f"  {len(invoices)} invoices in {time.perf_counter() - began:.0f} s", flush=True)
    invoices_seconds = time.perf_counter() - began
    began = time.perf_counter()
    payments = 0
    for group in chunks(invoices, every):
        with grouped(every):
            for invoice in group:
                if rng.random() >= args.paid:
                    continue
                method = weighted(rng, METHODS)
                parts = [(invoice.total, method)]
                if rng.random() < args.split and invoice.total >= Decimal("2.00"):
                    first = (invoice.total / 2).quantize(CENT)
                    parts = [(first, method), (invoice.total - first, "paypal" if method == "card" else "card")]
                for amount, how in parts:
                    # payment_record reads the invoice again, locked: what it was paid so far is its own.
                    payment_record(invoice=invoice, amount=amount, date=day, method=how)
                    payments += 1
    return invoices_seconds, time.perf_counter() - began, payments


# Draining -------------------------------------------------------------------------------------------


@dataclass
class Phase:
    """What the turns of one phase cost."""

    name: str
    turns: int = 0
    cpu: float = 0.0  # this process's CPU seconds inside channel_push_turn
    wall: float = 0.0  # seconds from the phase's first turn to its end (sleeps between turns included)
    queries: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    xero_ms: int = 0  # the sandbox's own time answering, summed (its request log)
    others: dict[str, float] = field(default_factory=dict)  # CPU of the sandbox and database
    statements: list[tuple[float, int, str]] = field(default_factory=list)  # --query-times: (s, n, sql)


class QueryCounter:
    """Count the statements this process sends to the database while `active` (inside a turn);
    with `timed`, also the seconds each kind of statement took to answer (its text, lists of
    placeholders folded)."""

    def __init__(self, *, timed: bool = False) -> None:
        self.count = 0
        self.active = False
        self.timed = timed
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not self.active:
            return execute(sql, params, many, context)
        self.count += 1
        if not self.timed:
            return execute(sql, params, many, context)
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = re.sub(r"(%s, )+%s", "%s…", " ".join(sql.split()))
            self.seconds[kind] += time.perf_counter() - began
            self.calls[kind] += 1


def run_phase(
    phase: Phase, *, channel_id: int, go_on: Callable[[Any], bool], meter: CpuMeter, counter: QueryCounter,
    deadline: float,
) -> None:  # fmt: skip
    """Run turns while `go_on(last result)` says so, as `tests.accounting.sync.turns.drain` does
    (a turn saying it has more after a wait sleeps at most 0.5 s first); count what they cost."""
    from accounting.sync.schedule.turn import channel_push_turn
    from xero_sandbox.models import RequestLog

    mark = RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    meter.start()
    began = time.perf_counter()
    result: Any = None
    while go_on(result):
        if time.perf_counter() - began > deadline:
            raise SystemExit(f"{phase.name}: still due rows after {deadline:.0f} s")
        queries, cpu = counter.count, time.process_time()
        counter.active = True
        result = channel_push_turn(channel_id=channel_id)
        counter.active = False
        phase.cpu += time.process_time() - cpu
        phase.queries += counter.count - queries
        phase.turns += 1
        if result.more and result.wait > 0:
            time.sleep(min(result.wait, 0.5))
    phase.wall = time.perf_counter() - began
    phase.others = meter.stop()
    phase.statements = sorted(((s, counter.calls[sql], sql) for sql, s in counter.seconds.items()), reverse=True)
    counter.seconds.clear()
    counter.calls.clear()
    for method, path, status, duration in RequestLog.objects.filter(pk__gt=mark).values_list(
        "method", "path", "status", "duration_ms"
    ):
        phase.calls[call_kind(method, path, status)] += 1
        phase.xero_ms += duration


def call_kind(method: str, path: str, status: int) -> str:
    """`PUT Invoices 200`, `GET TaxRates 200`, `POST connect/token 200`…"""
    if "/api.xro/2.0/" in path:
        resource_name = path.split("/api.xro/2.0/", 1)[1].split("/")[0].split("?")[0]
    else:
        resource_name = path.rstrip("/").split("/xero-sandbox/", 1)[-1]
    return f"{method} {resource_name} {status}"


def drain(*, channel: Any, meter: CpuMeter, timeout: float, timed: bool) -> tuple[Phase, Phase]:
    from django.db import connection

    from accounting.sync.models import RecordKind, SyncRecord
    from accounting.sync.schedule.turn import due_rows

    counter = QueryCounter(timed=timed)
    collecting, sending = Phase("collecting"), Phase("sending")

    def rows_to_collect(_result: Any) -> bool:
        return any(
            SyncRecord.objects.filter(due_rows(channel=channel, kind=kind)).exists()
            for kind in (RecordKind.INVOICE, RecordKind.PAYMENT)
        )

    def more(result: Any) -> bool:
        return result is None or bool(result.more)

    with connection.execute_wrapper(counter):
        run_phase(collecting, channel_id=channel.pk, go_on=rows_to_collect, meter=meter, counter=counter,
                  deadline=timeout)  # fmt: skip
        run_phase(sending, channel_id=channel.pk, go_on=more, meter=meter, counter=counter, deadline=timeout)
    return collecting, sending


# Report ---------------------------------------------------------------------------------------------


def phase_report(phase: Phase, *, invoices: int, reference: float, statements: int) -> None:
    per_k = 1000 * phase.cpu / max(invoices, 1)
    calls = sum(phase.calls.values())
    print(f"{phase.name}: {phase.turns} turns, {calls} Xero calls, wall {phase.wall:.1f} s")
    print("  calls: " + (", ".join(f"{kind} ×{n}" for kind, n in sorted(phase.calls.items())) or "none")
          + f" (the sandbox answered in {phase.xero_ms} ms in all)")  # fmt: skip
    print(f"  engine CPU: {phase.cpu:.2f} s = {per_k:.2f} s per 1,000 invoices "
          f"({per_k / reference:.2f} per reference second); {phase.queries} queries "
          f"= {phase.queries / max(invoices, 1):.1f} per invoice")  # fmt: skip
    others = phase.others
    print(f"  CPU elsewhere: sandbox (gunicorn) {others.get('sandbox', 0.0):.2f} s, "
          f"database {others.get('database', 0.0):.2f} s (whole server), "
          f"machine busy {others.get('machine', 0.0):.1f} s of {phase.wall * (os.cpu_count() or 1):.1f}")  # fmt: skip
    if phase.statements and statements:
        waited = sum(seconds for seconds, _n, _sql in phase.statements)
        print(f"  waiting on the database: {waited:.1f} s in all; the slowest kinds of statement:")
        for seconds, count, sql in phase.statements[:statements]:
            print(f"    {seconds:7.2f} s {count:6} × {1000 * seconds / count:6.2f} ms  {sql[:150]}")


def ledger_report(*, channel: Any) -> None:
    from django.db.models import Count

    from accounting.sync.models import DailySummary, SummaryEntry, SyncAttempt, SyncRecord

    rows = Counter(
        {
            (kind, state, status or "-"): n
            for kind, state, status, n in SyncRecord.objects.filter(channel=channel)
            .values_list("kind", "state", "xero_status")
            .annotate(n=Count("id"))
            .values_list("kind", "state", "xero_status", "n")
        }
    )
    print("ledger rows: " + ", ".join(f"{k} {s} ({x}) {n}" for (k, s, x), n in sorted(rows.items())))
    entries = Counter(
        dict(
            SummaryEntry.objects.filter(summary__channel=channel)
            .values_list("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        )
    )
    attempts = SyncAttempt.objects.filter(record__channel=channel).count()
    summaries = DailySummary.objects.filter(channel=channel).count()
    print(f"summaries: {summaries}; summary entries: "
          + ", ".join(f"{k} {n}" for k, n in sorted(entries.items()))
          + f"; sync attempts recorded: {attempts}")  # fmt: skip


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def checks(*, channel: Any, day: dt.date, invoices: int) -> bool:
    """Check the day in the sandbox against the store; print each check; return whether all passed."""
    from django.db.models import Sum

    from accounting.models import payment_method_key
    from accounting.sync.models import SUMMARISED, RecordKind, SyncRecord, SyncState
    from stores.models import Invoice, Payment
    from xero_sandbox import testing
    from xero_sandbox.models import Payment as XeroPayment

    results: list[tuple[bool, str]] = []
    held = testing.invoices(organisation=channel.tenant_id)
    number = f"{channel.invoice_number_prefix}DAY-{day:%Y%m%d}-GBP"
    results.append((
        [i["InvoiceNumber"] for i in held] == [number],
        f"Xero invoices in the organisation: {len(held)} ({', '.join(i['InvoiceNumber'] for i in held[:3])})",
    ))  # fmt: skip
    store_total = Invoice.objects.filter(store=channel.store).aggregate(s=Sum("total"))["s"] or Decimal(0)
    store_paid = Payment.objects.filter(invoice__store=channel.store).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    summary = held[0] if held else {}
    results.append((
        money(summary.get("Total", 0)) == store_total,
        f"its Total {money(summary.get('Total', 0))} = the {invoices} store invoices' {store_total}",
    ))  # fmt: skip
    results.append((
        money(summary.get("AmountPaid", 0)) == store_paid,
        f"its AmountPaid {money(summary.get('AmountPaid', 0))} = the store payments' {store_paid}",
    ))  # fmt: skip
    lines = summary.get("LineItems", [])
    print("  its lines: " + "; ".join(f"{line.get('AccountCode')} {line.get('TaxType')} {line.get('LineAmount')}"
                                      for line in lines))  # fmt: skip
    by_method: dict[str, Decimal] = {}
    for method, amount in Payment.objects.filter(invoice__store=channel.store).values_list("method", "amount"):
        key = payment_method_key(method)
        by_method[key] = by_method.get(key, Decimal(0)) + amount
    payments = list(
        XeroPayment.objects.filter(invoice__organisation__tenant_id=channel.tenant_id).select_related("account")
    )
    results.append((
        len(payments) == len(by_method),
        f"Xero payments: {len(payments)}, store payment methods: {len(by_method)}",
    ))  # fmt: skip
    in_xero = sorted((p.reference, p.account.code, p.amount) for p in payments)
    print("  payments in Xero: " + "; ".join(f"{ref!r} into {code}: {amount}" for ref, code, amount in in_xero))
    results.append((
        sorted(p.amount for p in payments) == sorted(by_method.values()),
        "their amounts are the store payments by method: "
        + ", ".join(f"{method} {amount}" for method, amount in sorted(by_method.items())),
    ))  # fmt: skip
    results.append((
        sum((p.amount for p in payments), Decimal(0)) == store_paid,
        f"their sum {sum((p.amount for p in payments), Decimal(0))} = {store_paid}",
    ))  # fmt: skip
    unsettled = (
        SyncRecord.objects.filter(channel=channel, kind__in=[RecordKind.INVOICE, RecordKind.PAYMENT])
        .exclude(state=SyncState.SYNCED, xero_status=SUMMARISED)
        .count()
    )
    results.append((unsettled == 0, f"invoice and payment rows not synced as summarised: {unsettled}"))
    summary_rows = list(
        SyncRecord.objects.filter(channel=channel, kind=RecordKind.SUMMARY).values_list("state", "xero_id")
    )
    results.append((
        summary_rows == [(SyncState.SYNCED, summary.get("InvoiceID", "?"))],
        f"the summary's row: {summary_rows}",
    ))  # fmt: skip
    for passed, what in results:
        print(f"  {'ok  ' if passed else 'FAIL'} {what}")
    return all(passed for passed, _w in results)


def sandbox_served(args: argparse.Namespace, work: Callable[[Any], None]) -> None:
    """Set up a bench's own world and run `work(web)` in it: its PostgreSQL database (`--database`,
    re-created and migrated), its Redis database (`--redis-db`, flushed), and the sandbox served by
    gunicorn on `--port` (`--web-workers` processes) in a process group stopped afterwards."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    if not port_free(args.port):
        raise SystemExit(f"something already listens on port {args.port}: choose another with --port")
    env = environment(
        database=args.database, redis_db=args.redis_db, port=args.port, log_level="WARNING",
        XERO_SANDBOX_TIME_SCALE="1", XERO_RATE_TIME_SCALE="1", DATABASE_CONN_MAX_AGE="60",
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

    web = start([str(ROOT / ".venv/bin/gunicorn"), "channels_portal.wsgi:application", "-b", f"127.0.0.1:{args.port}",
                 "-w", str(args.web_workers), "--threads", "4", "--log-level", "warning"], env)  # fmt: skip
    try:
        wait_for_port(args.port)
        work(web)
    finally:
        stop_group(web)


def main() -> None:
    args = parse_args()
    sandbox_served(args, lambda web: run(args=args, web=web))


def run(*, args: argparse.Namespace, web: Any) -> None:
    import zoneinfo

    from django.db import connection
    from django.utils import timezone

    from accounting.sync.models import SyncRecord
    from xero_sandbox.models import RequestLog

    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Europe/London")).date()
    day = today - dt.timedelta(days=args.days_ago)
    began = time.perf_counter()
    channel = summary_channel(day=day)
    connecting = Counter(call_kind(*row) for row in RequestLog.objects.values_list("method", "path", "status"))
    print(f"Store {channel.store.name} (GBP, Europe/London), channel in summary mode from {day:%d %b %Y}, "
          f"set up in {time.perf_counter() - began:.1f} s; its Xero calls (the channel page's reads, not counted "
          "below): " + ", ".join(f"{kind} ×{n}" for kind, n in sorted(connecting.items())), flush=True)  # fmt: skip
    print(f"Loading {args.invoices} store invoices of {day:%d %b %Y} and their payments "
          f"({args.per_commit} invoices per transaction)…", flush=True)  # fmt: skip
    invoices_seconds, payments_seconds, payments = load_day(args=args, channel=channel, day=day)
    rows = SyncRecord.objects.filter(channel=channel).count()
    print(f"set-up: {args.invoices} invoices in {invoices_seconds:.1f} s "
          f"({1000 * invoices_seconds / max(args.invoices, 1):.1f} ms each), {payments} payments in "
          f"{payments_seconds:.1f} s; {rows} ledger rows written by the signals", flush=True)  # fmt: skip
    connection.close()  # the turns start on a fresh connection, as a worker's task would

    trees = {"sandbox": [web.pid]}
    postmaster = postmaster_pid()
    if postmaster is not None:
        trees["database"] = [postmaster]
    meter = CpuMeter(trees)
    print("Draining the channel as a worker would (channel_push_turn after turn)…", flush=True)
    total_began = time.perf_counter()
    collecting, sending = drain(channel=channel, meter=meter, timeout=args.timeout, timed=args.query_times > 0)
    total_wall = time.perf_counter() - total_began
    reference = reference_seconds()

    print()
    print(f"day: {day:%d %b %Y}, {args.invoices} store invoices, {payments} payments")
    for phase in (collecting, sending):
        phase_report(phase, invoices=args.invoices, reference=reference, statements=args.query_times)
    cpu = collecting.cpu + sending.cpu
    calls = sum(collecting.calls.values()) + sum(sending.calls.values())
    print(f"in all: {calls} Xero calls; engine CPU {cpu:.2f} s = {1000 * cpu / max(args.invoices, 1):.2f} s per "
          f"1,000 invoices; wall {total_wall:.1f} s; reference workload {reference:.3f} CPU-s")  # fmt: skip
    print(f"bench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    ledger_report(channel=channel)
    print("checks:")
    if not checks(channel=channel, day=day, invoices=args.invoices):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

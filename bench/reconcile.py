#!/usr/bin/env python
"""Benchmark of a reconciliation: what reading Xero back for N store invoices costs (default 1,000).

Not a test. It builds its own PostgreSQL database (`--database`, dropped and re-created) and Redis
database (`--redis-db`, flushed), serves the sandbox with gunicorn in processes of its own, and sets
up one store (GBP, Europe/London) whose channel is connected to a sandbox organisation and posts
per invoice (the default), with the UK tax mapping and payment accounts (default 090, card 605,
bank transfer 091) as `bench/daily_summary.py` does. It creates N store invoices dated over
`--days` days ending `--days-ago` days before the store's today through the store's own services
(`invoice_create`, `payment_record` for about 70% of them, paid in full on their day) and drains the
channel (`channel_push_turn` after turn, as the tests' `drain` does) until everything is in the
sandbox. That is set-up: timed and printed, not the figure. It then waits `--settle` seconds: the
reconciliation shares the channel's limiter, whose minute window the drain may have spent.

Then this process reconciles the whole range, as `manage.py reconcile` would
(`reconciliation_start(queue=False, reuse=False)`, then `reconciliation_run`), and prints the store
records compared, the estimate and the actual Xero calls, the calls by resource (the sandbox's
request log, only the requests made during the reconciliation), the bytes read (as the run
recorded them from Content-Length, as the answers' bodies measured in this process, and as the
request log keeps them: re-serialised and cut at 20,000 characters, so a floor), the engine's CPU
(this process's `time.process_time`; the sandbox runs in gunicorn) and wall time, and the figures
per 1,000 invoices. It checks that no difference is found, then voids 1% of the invoices in the
sandbox (unpaid ones) and edits one more (its first line's unit price), reconciles again and
checks that exactly those are listed ("voided_in_xero", "total_differs"). It exits with 1 when a
check fails.

    .venv/bin/python bench/reconcile.py --invoices 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from daily_summary import call_kind, chunks, grouped, invoice_lines, sandbox_served, weighted  # noqa: E402

METHODS = [("card", 60), ("paypal", 25), ("bank transfer", 15)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1000, help="store invoices over the range")
    parser.add_argument("--days", type=int, default=30, help="days the invoices are dated over")
    parser.add_argument("--days-ago", type=int, default=3, help="the range ends this many days before today")
    parser.add_argument("--paid", type=float, default=0.7, help="share of the invoices paid (in full)")
    parser.add_argument("--void-share", type=float, default=0.01, help="share voided in Xero before the 2nd run")
    parser.add_argument("--customers", type=int, default=200, help="distinct customers")
    parser.add_argument("--per-commit", type=int, default=100, help="while loading, invoices per transaction")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes serving the sandbox")
    parser.add_argument("--database", default="bench_reconcile", help="PostgreSQL database to (re)create")
    # Not 15: the make-run tests flush that one.
    parser.add_argument("--redis-db", type=int, default=13, help="Redis database number to flush and use")
    parser.add_argument("--port", type=int, default=8817)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up draining after this many seconds")
    parser.add_argument("--settle", type=float, default=61.0,
                        help="seconds to wait after draining: the reconciliation shares the channel's limiter, "
                             "whose minute window the drain may have spent")  # fmt: skip
    return parser.parse_args()


# Set-up ---------------------------------------------------------------------------------------------


def invoice_channel() -> Any:
    """One store (GBP, Europe/London) and its channel, connected to a new sandbox organisation,
    posting per invoice, with card and bank transfer payments going to their own accounts."""
    from accounting.books.line_accounts import channel_chart_refresh, channel_line_accounts_set
    from accounting.books.payment_accounts import (
        channel_payment_accounts_refresh,
        channel_payment_accounts_set,
        payment_accounts_cached,
    )
    from drills.channels import UK_TAX_MAPPING, sandbox_channel, sandbox_org
    from organizations.models import Organization
    from stores.services import store_create

    merchant = Organization.objects.create(name="Month merchant", slug="month-merchant")
    store = store_create(
        organization=merchant, name="Month Shop", platform="custom", currency="GBP", time_zone="Europe/London"
    )
    org = sandbox_org("Month Shop Books Ltd", expires_in=12 * 3600)
    channel = sandbox_channel(org=org, store=store, tax_mapping=UK_TAX_MAPPING, name="Xero", account_nominal_code="200")
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={"rounding_account": "860", "discount_mode": "line"})
    channel_payment_accounts_refresh(channel=channel)
    ids = {a["code"]: a["account_id"] for a in payment_accounts_cached(channel=channel) or []}
    channel_payment_accounts_set(
        channel=channel, choices={"": ids["090"], "card": ids["605"], "bank transfer": ids["091"]}
    )
    return channel


def load(*, args: argparse.Namespace, channel: Any, first: dt.date) -> int:
    """Create the invoices (spread evenly over the days), then pay about `--paid` of them in full on
    their day, through the store's services; return the payments made."""
    from stores.payments import payment_record
    from stores.services import invoice_create

    rng = random.Random(args.seed)  # nosec B311  # a reproducible workload of a benchmark, not a secret
    every = max(args.per_commit, 1)
    invoices = []
    for numbers in chunks(list(range(args.invoices)), every):
        with grouped(every):
            for n in numbers:
                day = first + dt.timedelta(days=n * args.days // args.invoices)
                customer = rng.randrange(args.customers)
                invoices.append(
                    invoice_create(
                        store=channel.store, number=f"R-{n + 1:06d}", customer_name=f"Customer {customer}",
                        customer_email=f"customer{customer}@example.com", issue_date=day, due_date=day,
                        lines=invoice_lines(rng, n + 1),
                    )
                )  # fmt: skip
    payments = 0
    for group in chunks(invoices, every):
        with grouped(every):
            for invoice in group:
                if rng.random() < args.paid:
                    method = weighted(rng, METHODS)
                    payment_record(invoice=invoice, amount=invoice.total, date=invoice.issue_date, method=method)
                    payments += 1
    return payments


def drain(*, channel: Any, timeout: float) -> int:
    """Run turns until the channel has nothing due (as the tests' `drain`); return the turns."""
    from accounting.sync.schedule.turn import channel_push_turn

    began, turns = time.perf_counter(), 0
    while True:
        if time.perf_counter() - began > timeout:
            raise SystemExit(f"still due rows after {timeout:.0f} s")
        result = channel_push_turn(channel_id=channel.pk)
        turns += 1
        if not result.more:
            return turns
        if result.wait > 0:
            time.sleep(min(result.wait, 0.5))


# Measuring ------------------------------------------------------------------------------------------


class WireBytes:
    """The bodies of Xero's answers as they reach this process (the SDK's REST client), by resource."""

    def __init__(self) -> None:
        self.sizes: Counter[str] = Counter()

    def install(self) -> None:
        from xero_python import rest

        original = rest.RESTClientObject.request
        sizes = self.sizes

        def request(client: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            answer = original(client, method, url, *args, **kwargs)
            resource_name = url.split("/api.xro/2.0/", 1)[-1].split("/")[0].split("?")[0]
            sizes[resource_name] += len(getattr(answer, "data", b"") or b"")
            return answer

        rest.RESTClientObject.request = request


@dataclass
class Run:
    """One reconciliation and what it cost."""

    name: str
    reconciliation: Any = None
    start_cpu: float = 0.0  # reconciliation_start: what the web request (page, API) does
    run_cpu: float = 0.0  # reconciliation_run: what the worker does
    wall: float = 0.0
    queries: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    log_bytes: int = 0  # the request log's response bodies (re-serialised, cut at 20,000 characters)
    log_cut: int = 0  # answers the log cut
    wire: Counter[str] = field(default_factory=Counter)
    xero_ms: int = 0

    @property
    def cpu(self) -> float:
        return self.start_cpu + self.run_cpu


def reconcile(name: str, *, channel: Any, span: tuple[dt.date, dt.date], wire: WireBytes) -> Run:
    from django.db import connection
    from django.db.models.functions import Length

    from accounting.checks.reconcile.run import reconciliation_run, reconciliation_start
    from accounting.sync.models import ReconciliationState
    from xero_sandbox.models import RequestLog
    from xero_sandbox.services.request_log import MAX_BODY

    run = Run(name)
    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    mark = RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    wire.sizes.clear()
    with connection.execute_wrapper(count):
        began, cpu = time.perf_counter(), time.process_time()
        started = reconciliation_start(channel=channel, date_from=span[0], date_to=span[1], by="bench",
                                       queue=False, reuse=False)  # fmt: skip
        middle = time.process_time()
        done = reconciliation_run(reconciliation_id=started.pk)
        run.run_cpu, run.start_cpu = time.process_time() - middle, middle - cpu
        run.wall = time.perf_counter() - began
    run.queries, run.wire, run.reconciliation = queries[0], Counter(wire.sizes), done
    if done is None or done.state != ReconciliationState.DONE:
        raise SystemExit(f"{name}: the reconciliation did not finish: {done and done.state} {done and done.error}")
    logged = RequestLog.objects.filter(pk__gt=mark).annotate(size=Length("response_body"))
    for method, path, status, duration, size in logged.values_list("method", "path", "status", "duration_ms", "size"):
        run.calls[call_kind(method, path, status)] += 1
        run.xero_ms += duration
        run.log_bytes += size
        run.log_cut += size >= MAX_BODY
    return run


def report(run: Run, *, invoices: int) -> None:
    done = run.reconciliation
    calls = sum(run.calls.values())
    wire = sum(run.wire.values())
    print(f"{run.name}: {done.records} store records compared ({invoices} invoices), "
          f"{len(done.totals)} days, {len(done.differences)} difference(s)")  # fmt: skip
    print(f"  Xero calls: estimate {done.estimate_calls}, recorded {done.calls}, request log {calls}: "
          + ", ".join(f"{kind} ×{n}" for kind, n in sorted(run.calls.items()))
          + f" (the sandbox answered in {run.xero_ms} ms in all)")  # fmt: skip
    print(f"  bytes read: recorded (Content-Length) {done.bytes_read:,}; bodies received {wire:,} ("
          + ", ".join(f"{name} {size:,}" for name, size in sorted(run.wire.items()))
          + f"); request log {run.log_bytes:,} ({run.log_cut} answer(s) cut at 20,000 characters)")  # fmt: skip
    print(f"  engine CPU {1000 * run.cpu:.0f} ms (start {1000 * run.start_cpu:.0f} ms, run "
          f"{1000 * run.run_cpu:.0f} ms), {run.queries} queries, wall {run.wall:.2f} s")  # fmt: skip
    per_k = 1000 / max(invoices, 1)
    print(f"  per 1,000 invoices: {done.calls * per_k:.2f} calls, {1000 * run.cpu * per_k:.0f} ms CPU; "
          f"{done.bytes_read / max(invoices, 1):.0f} bytes per invoice "
          f"({done.bytes_read / max(done.records, 1):.0f} per record compared)", flush=True)  # fmt: skip


def differences_check(run: Run, expected: set[tuple[str, str]]) -> bool:
    found = [(d["kind"], d["record"]["number"]) for d in run.reconciliation.differences]
    passed = sorted(found) == sorted(expected)
    print(f"  {'ok  ' if passed else 'FAIL'} differences: {len(found)} found, {len(expected)} expected")
    if not passed:
        for difference in run.reconciliation.differences[:50]:
            print(f"       {difference['kind']} {difference['record']} {difference['message']}")
        print(f"       expected and not found: {sorted(expected - set(found))[:20]}")
    return passed


# Main -----------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    sandbox_served(args, lambda _web: run(args=args))


def run(*, args: argparse.Namespace) -> None:
    import zoneinfo

    from django.db import connection
    from django.utils import timezone

    from accounting.sync.models import RecordKind, SyncRecord, SyncState
    from stores.models import Invoice
    from xero_sandbox import testing

    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo("Europe/London")).date()
    last = today - dt.timedelta(days=args.days_ago)
    first = last - dt.timedelta(days=args.days - 1)
    began = time.perf_counter()
    channel = invoice_channel()
    print(f"Store {channel.store.name} (GBP), channel posting per invoice, set up in "
          f"{time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
    print(f"Loading {args.invoices} store invoices of {first:%d %b} – {last:%d %b %Y} and their payments…", flush=True)
    began = time.perf_counter()
    payments = load(args=args, channel=channel, first=first)
    loaded = time.perf_counter() - began
    print(f"set-up: {args.invoices} invoices and {payments} payments in {loaded:.1f} s; draining…", flush=True)
    connection.close()
    began = time.perf_counter()
    turns = drain(channel=channel, timeout=args.timeout)
    drained = time.perf_counter() - began
    rows = Counter(
        (kind, state)
        for kind, state in SyncRecord.objects.filter(channel=channel).values_list("kind", "state").iterator()
    )
    print(f"set-up: drained in {drained:.1f} s ({turns} turns); ledger rows: "
          + ", ".join(f"{kind} {state} {n}" for (kind, state), n in sorted(rows.items())), flush=True)  # fmt: skip
    sent = {RecordKind.INVOICE: args.invoices, RecordKind.PAYMENT: payments}
    if any(rows[(kind, SyncState.SYNCED)] != n for kind, n in sent.items()):
        raise SystemExit("not every invoice and payment is synced: nothing to measure")
    print(f"waiting {args.settle:.0f} s for the limiter's minute window the drain used…", flush=True)
    time.sleep(args.settle)

    wire = WireBytes()
    wire.install()
    span = (first, last)
    print()
    clean = reconcile("clean", channel=channel, span=span, wire=wire)
    report(clean, invoices=args.invoices)
    passed = differences_check(clean, set())
    if not passed:
        raise SystemExit(1)

    # Void 1% of the invoices (unpaid ones: Xero refuses to void a paid one) and edit one more.
    unpaid = list(Invoice.objects.filter(store=channel.store, amount_paid=0).order_by("pk"))
    wanted = max(1, round(args.invoices * args.void_share))
    voided = unpaid[:: max(1, len(unpaid) // wanted)][:wanted]  # spread over the range
    edited = next(i for i in reversed(unpaid) if i not in voided)
    prefix = channel.invoice_number_prefix
    for invoice in voided:
        testing.invoice_void(organisation=channel.tenant_id, invoice_number=prefix + invoice.number)
    price = edited.lines.order_by("pk")[0].unit_price
    testing.invoice_edit(
        organisation=channel.tenant_id, invoice_number=prefix + edited.number, unit_amount=price + Decimal("10.00")
    )
    print(f"\nIn Xero: {len(voided)} invoices voided, {edited.number} edited (its first line's unit price "
          f"{price} → {price + Decimal('10.00')})")  # fmt: skip
    changed = reconcile("after the changes in Xero", channel=channel, span=span, wire=wire)
    report(changed, invoices=args.invoices)
    expected = {("voided_in_xero", i.number) for i in voided} | {("total_differs", edited.number)}
    if not differences_check(changed, expected):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Benchmark of the channel's sync ledger page at 100,000 ledger rows on PostgreSQL.

Not a test. It builds its own PostgreSQL database (dropped and re-created: `--database`), fills
one store with N invoices and one channel with N ledger rows (bulk inserts; a mix of states, a
fifth failed over a dozen causes, changes spread over 90 days), runs VACUUM ANALYZE, then asks
the ledger page through Django's test client (the whole view: middleware, queries, template) R
times for each filter and prints p50 / p95 / max in ms and the queries each request made, and
the same for the channel page's progress JSON.

    .venv/bin/python bench/ledger_page.py --rows 100000 --repeat 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CAUSES = [
    "Account code '999' is not a valid code for this document.",
    "Account code '4000' has been archived, or has been deleted.",
    "The TaxType code 'OUTPUT' does not exist or cannot be used for this type of transaction.",
    "Contact {uuid} is archived.",
    "Invoice # must be unique.",
    "The document date cannot be before the period lock date.",
    "Item code 'SKU-{n}' is already used by an archived item.",
    "Tax rate 20% is not mapped: map it under Tax mapping on the channel page.",
    "Currency EUR is not enabled in Xero.",
    "Gave up after 12 attempts: Xero server error (500).",
    "Xero already holds invoice # with another contact or total.",
    "The invoice total is negative: Xero refuses negative sales invoices.",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="ledger rows (and invoices) of the channel")
    parser.add_argument("--repeat", type=int, default=30, help="requests per filter")
    parser.add_argument("--database", default="bench_ledger", help="PostgreSQL database to (re)create")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the database a previous run filled")
    parser.add_argument(
        "--explain", action="store_true", help="also print the server time (EXPLAIN ANALYZE) of each query of a case"
    )
    return parser.parse_args()


def fill(*, rows: int) -> tuple[Any, Any]:
    """Return (member, channel) after filling the store and the ledger; print how long it took."""
    import uuid

    from django.db import connection
    from django.utils import timezone

    from accounting.models import AccountingChannel, ConnectionState
    from accounting.sync.models import SyncRecord, SyncState
    from organizations.models import Membership, Organization
    from stores.models import Invoice, Store

    started = time.perf_counter()
    org = Organization.objects.create(name="Bench Ltd", slug="bench")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="bench-operator")
    Membership.objects.create(organization=org, user=user, role="operator")
    store = Store.objects.create(organization=org, name="Bench store", currency="GBP")
    channel = AccountingChannel.objects.create(
        store=store,
        name="Bench books",
        client_id="BENCHCLIENT",
        tenant_id=str(uuid.uuid4()),
        tenant_name="Bench (UK)",
        connection_state=ConnectionState.CONNECTED,
        connected_at=timezone.now(),
        is_active=True,
    )
    today = timezone.localdate()
    batch = 5000
    for start in range(0, rows, batch):
        Invoice.objects.bulk_create(
            Invoice(
                store=store,
                number=f"INV-{n:06d}",
                customer_name=f"Customer {n % 500}",
                currency="GBP",
                issue_date=today,
                due_date=today,
            )
            for n in range(start, min(start + batch, rows))
        )
    ids = list(Invoice.objects.filter(store=store).order_by("pk").values_list("pk", flat=True))
    states = [SyncState.SYNCED] * 14 + [SyncState.FAILED] * 4 + [SyncState.PENDING] + [SyncState.SKIPPED]
    for start in range(0, rows, batch):
        records = []
        for i in range(start, min(start + batch, rows)):
            state = states[i % len(states)]
            error = ""
            if state == SyncState.FAILED:
                error = CAUSES[(i // 20) % len(CAUSES)].format(uuid=uuid.UUID(int=i), n=i % 7)
            records.append(
                SyncRecord(
                    channel=channel,
                    kind="invoice",
                    object_id=ids[i],
                    state=state,
                    last_error=error,
                    xero_number=f"INV-{i:06d}" if state != SyncState.PENDING else "",
                    synced_at=timezone.now() if state == SyncState.SYNCED else None,
                )
            )
        SyncRecord.objects.bulk_create(records)
    with connection.cursor() as cursor:
        # Changes spread over 90 days (bulk_create stamps every row with the same time).
        cursor.execute(
            "UPDATE accounting_sync_syncrecord SET updated_at = now() - (id % 90) * interval '1 day' "
            "- (id % 1440) * interval '1 minute', synced_at = CASE WHEN synced_at IS NULL THEN NULL "
            "ELSE now() - (id % 90) * interval '1 day' END"
        )
    connection.close()
    import psycopg

    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"filled {rows:,} invoices and {rows:,} ledger rows in {time.perf_counter() - started:.1f} s")
    return user, channel


def _dsn() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def measure(client: object, url: str, params: dict[str, str], *, repeat: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # type: ignore[attr-defined]  # warm the template and statement caches
    times = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url, params)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
        queries = len(ctx.captured_queries)
    return times, queries


def explain(client: Any, url: str, params: dict[str, str]) -> str:
    """Return the server time of each query one request makes (EXPLAIN ANALYZE), in ms."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url, params)
    times = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + sql)
            lines = [row[0] for row in cursor.fetchall()]
        total = next(line for line in lines if line.startswith("Execution Time"))
        times.append(total.split(":")[1].strip().removesuffix(" ms"))
    return " ".join(times)


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    import os

    from drills.harness import environment, recreate_database

    os.environ.update(environment(database=args.database, redis_db=args.redis_db, port=0))
    if not args.reuse:
        recreate_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    from accounting.models import AccountingChannel
    from accounting.sync.models import SyncRecord

    if args.reuse:
        channel = AccountingChannel.objects.select_related("store__organization").get(name="Bench books")
        user = channel.store.organization.memberships.get().user  # type: ignore[attr-defined]
        print(f"reused {SyncRecord.objects.filter(channel=channel).count():,} ledger rows")
    else:
        user, channel = fill(rows=args.rows)

    cause = SyncRecord.objects.filter(channel=channel, state="failed").values_list("error_cause", flat=True).first()
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    ledger = reverse("accounting:channel-ledger", args=[channel.pk])  # type: ignore[attr-defined]
    import datetime as dt

    from django.utils import timezone

    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    cases = [
        ("no filter", ledger, {}),
        ("page 500", ledger, {"page": "500"}),
        ("state=failed", ledger, {"state": "failed"}),
        ("state=pending", ledger, {"state": "pending"}),
        ("kind=invoice", ledger, {"kind": "invoice"}),
        ("one day", ledger, {"date_from": day, "date_to": day}),
        ("text: invoice number", ledger, {"q": "INV-04217"}),
        ("text: error text", ledger, {"q": "period lock"}),
        ("cause", ledger, {"cause": cause or ""}),
        ("progress JSON", reverse("accounting:channel-sync-progress", args=[channel.pk]), {}),  # type: ignore[attr-defined]
    ]
    print(f"machine load average (1 min) before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'case':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for name, url, params in cases:
        times, queries = measure(client, url, params, repeat=args.repeat)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{name:<22} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f} {queries:>8}")
        if args.explain:
            print(f"{'':<22} server ms per SELECT: {explain(client, url, params)}")
    print(f"machine load average (1 min) after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

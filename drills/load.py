#!/usr/bin/env python
"""Drill 7, load: a bounded-time loopback load on gunicorn and PostgreSQL, at two data sizes.

Not a test. It builds its own PostgreSQL database (dropped and re-created: `--database`), uses one
Redis database (flushed: `--redis-db`), serves the portal with gunicorn (`gunicorn.conf.py`, the
production connection age of 60 s) and loads the data in two steps: first a tenth of it, then all
of it (by default 1,000 stores in 50 organisations, half of them in the organisation whose
member is measured, and 100,000 invoices each with its sync ledger row, half of them in that
organisation's first store and its channel; the rows are a mix of synced, failed and pending).

At each size it counts the SQL queries of each page (an in-process request with Django's test
client on the same database; the count must not grow with the data) and then, for `--seconds`
per page, `--users` threads send requests over loopback as fast as the answers come (each thread
one keep-alive connection), and it prints requests per second, p50 and p95 of each:

- the store list (`/stores/`), page 1 of the measured organisation's stores;
- the channel page of the big channel;
- the channel's sync ledger page, when the portal has one (a URL named `accounting:channel-ledger`,
  `accounting:channel-sync-ledger` or `accounting:channel-sync`); without it, the record pages:
  the big store's invoice list and an invoice's page, with their sync badges;
- Billing API invoice create (`POST /api/v1/stores/<id>/invoices/`), each thread with another
  organisation's API key so that the per-key and per-organisation limits are not what is measured.

The load generator runs on the same two cores as gunicorn and PostgreSQL: the figures are the
machine's, not the portal's alone (`--users` and `--web-workers` move them).

    .venv/bin/python drills/load.py
    .venv/bin/python drills/load.py --stores 100 --rows 10000 --seconds 5     # a quick look
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drills.load_world import World, invoices_grow, stores_grow, world_create  # noqa: E402

LEDGER_URL_NAMES = ("accounting:channel-ledger", "accounting:channel-sync-ledger", "accounting:channel-sync")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=1000, help="stores at full size")
    parser.add_argument("--rows", type=int, default=100_000, help="invoices (and ledger rows) at full size")
    parser.add_argument("--orgs", type=int, default=50, help="organisations the stores belong to")
    parser.add_argument("--seconds", type=float, default=15.0, help="load time per page and size")
    parser.add_argument("--users", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (8 threads each)")
    parser.add_argument("--database", default="drill_load")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--port", type=int, default=8788)
    return parser.parse_args()


@dataclass
class Page:
    name: str
    method: str
    path: Callable[[int], str]  # thread number → path
    body: Callable[[int, int], dict] | None = None  # (thread, request number) → JSON body
    api_key: Callable[[int], str] | None = None


def pages_of(world: World) -> list[Page]:
    from django.urls import NoReverseMatch, reverse

    from stores.models import Invoice

    channel = world.big_channel
    pages = [
        Page("store list", "GET", lambda _t: reverse("stores:list")),
        Page("channel page", "GET", lambda _t: reverse("accounting:channel-detail", args=[channel.pk])),
    ]
    ledger = None
    for name in LEDGER_URL_NAMES:
        try:
            ledger = reverse(name, args=[channel.pk])
            break
        except NoReverseMatch:
            continue
    if ledger is not None:
        ledger_url: str = ledger
        pages.append(Page("sync ledger page", "GET", lambda _t: ledger_url))
    else:
        store = world.big_store
        invoice_ids = list(Invoice.objects.filter(store=store).values_list("pk", flat=True)[:2000])
        pages.append(Page("invoice list (record page)", "GET", lambda _t: reverse("stores:invoices", args=[store.pk])))
        pages.append(
            Page(
                "invoice page (record page)",
                "GET",
                lambda _t: reverse("stores:invoice-detail", args=[store.pk, random.choice(invoice_ids)]),  # nosec B311  # drill randomness (seeds, sampling), not security
            )
        )
    keys = world.keys

    def create_body(thread: int, n: int) -> dict:
        return {
            "number": f"API-{os.getpid()}-{time.monotonic_ns()}-{thread}-{n}",
            "customer_name": f"API customer {n % 50}",
            "customer_email": f"api{n % 50}@example.com",
            "issue_date": "2026-05-01",
            "due_date": "2026-05-31",
            "lines": [{"description": "Item", "quantity": "1", "unit_price": "9.99", "tax_rate": "20"}],
        }

    pages.append(
        Page(
            "Billing API invoice create",
            "POST",
            lambda t: f"/api/v1/stores/{keys[t % len(keys)][1]}/invoices/",
            body=create_body,
            api_key=lambda t: keys[t % len(keys)][0],
        )
    )
    return pages


def session_cookie(world: World) -> tuple[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(world.user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def query_count(page: Page, cookie: tuple[str, str]) -> tuple[int, int, float]:
    """Return (status, SQL queries, their time in ms) of an in-process request of the page (the
    second one: the first may pay once-only costs, such as an API key's first use)."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies[cookie[0]] = cookie[1]
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {page.api_key(0)}"} if page.api_key else {}
    for attempt in range(2):
        with CaptureQueriesContext(connection) as queries:
            if page.method == "POST" and page.body is not None:
                body = json.dumps(page.body(0, attempt))
                answer = client.post(page.path(0), body, content_type="application/json", **headers)
            else:
                answer = client.get(page.path(0), **headers)
    database_ms = 1000 * sum(float(q["time"]) for q in queries.captured_queries)
    return answer.status_code, len(queries.captured_queries), database_ms


@dataclass
class Result:
    ok: int = 0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def load(*, base_url: str, page: Page, cookie: tuple[str, str], users: int, seconds: float) -> Result:
    """`users` threads request the page back to back for `seconds`; return counts and latencies."""
    import requests

    result = Result()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def user(thread: int) -> None:
        session = requests.Session()
        session.cookies.set(cookie[0], cookie[1])
        if page.api_key is not None:
            session.headers["Authorization"] = f"Bearer {page.api_key(thread)}"
        latencies: list[float] = []
        statuses: Counter = Counter()
        for n in itertools.count():
            if time.monotonic() >= stop_at:
                break
            began = time.monotonic()
            if page.method == "POST" and page.body is not None:
                answer = session.post(base_url + page.path(thread), json=page.body(thread, n), timeout=60)
            else:
                answer = session.get(base_url + page.path(thread), timeout=60, allow_redirects=False)
            latencies.append(time.monotonic() - began)
            statuses[answer.status_code] += 1
        with lock:
            result.latencies += latencies
            result.statuses += statuses

    began = time.monotonic()
    threads = [threading.Thread(target=user, args=(t,)) for t in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - began
    result.ok = sum(n for status, n in result.statuses.items() if 200 <= status < 300)
    return result


def measure(*, base_url: str, world: World, args: argparse.Namespace, label: str) -> dict[str, dict]:
    cookie = session_cookie(world)
    figures: dict[str, dict] = {}
    print(
        f"\n{label}: {len(world.stores)} stores, {world.invoices} invoices and ledger rows "
        f"({world.invoices // 2} in the big channel)",
        flush=True,
    )
    print(f"{'page':32} {'queries':>7} {'SQL ms':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}  statuses", flush=True)
    for page in pages_of(world):
        status, queries, database_ms = query_count(page, cookie)
        result = load(base_url=base_url, page=page, cookie=cookie, users=args.users, seconds=args.seconds)
        rps = result.ok / result.seconds if result.seconds else 0.0
        figures[page.name] = {
            "queries": queries,
            "db_ms": round(database_ms, 1),
            "status": status,
            "rps": round(rps, 1),
            "p50_ms": round(result.percentile(0.5), 1),
            "p95_ms": round(result.percentile(0.95), 1),
            "statuses": dict(result.statuses),
        }
        statuses = ", ".join(f"{code}×{n}" for code, n in sorted(result.statuses.items()))
        print(
            f"{page.name:32} {queries:>7} {database_ms:>7.1f} {rps:>7.1f} {result.percentile(0.5):>7.1f} "
            f"{result.percentile(0.95):>7.1f}  {statuses}",
            flush=True,
        )
    return figures


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")  # as production
    # Measure the portal, not the Billing API's per-key limits (each thread has its own key anyway).
    from drills.harness import sandbox

    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port, web_workers=args.web_workers) as url:
        started = time.monotonic()
        world = world_create(orgs=args.orgs)
        stores_grow(world, to=max(args.stores // 10, 4))
        invoices_grow(world, to=args.rows // 10)
        print(f"loaded the small size in {time.monotonic() - started:.0f} s", flush=True)
        small = measure(base_url=url, world=world, args=args, label="small")
        started = time.monotonic()
        stores_grow(world, to=args.stores)
        invoices_grow(world, to=args.rows)
        print(f"\nloaded the full size in {time.monotonic() - started:.0f} s", flush=True)
        full = measure(base_url=url, world=world, args=args, label="full")
    grown = [name for name in small if name in full and full[name]["queries"] != small[name]["queries"]]
    print()
    print("queries per page constant: " + ("yes" if not grown else f"NO ({', '.join(grown)})"))
    sys.exit(1 if grown else 0)


if __name__ == "__main__":
    main()

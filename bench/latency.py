#!/usr/bin/env python
"""Benchmark: time from a Billing API invoice create to the invoice stored in Xero, when idle.

Not a test. It builds its own PostgreSQL database (dropped and re-created: `--database`), uses
one Redis database (flushed: `--redis-db`), serves the portal and the sandbox with gunicorn,
starts one real `celery worker` (threads pool, with beat) and connects one store's channel to a
sandbox organisation. Then, `--invoices` times, one at a time: it POSTs an invoice to
`/api/v1/stores/<id>/invoices/` over HTTP with an API key and polls the sandbox's stored
invoices (its database, every 5 ms) until the invoice is there, then waits `--gap` seconds
(idle: nothing else is queued).

It prints the channel's first invoice apart (it also reads the organisation's tax rates and
looks up and creates the contact), then p50, p95 and the slowest of the others: the API's
answer, create → the ledger row claimed by a worker, and create → in Xero (the sandbox
committed it).

    .venv/bin/python bench/latency.py --invoices 40
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess  # nosec B404  # runs fixed commands of the bench/drill's own processes
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=40, help="invoices created, one at a time")
    parser.add_argument(
        "--gap", type=float, default=0.5, help="idle seconds between one invoice in Xero and the next create"
    )
    parser.add_argument(
        "--sweep", type=float, default=5.0, help="SYNC_SWEEP_SECONDS of the worker's beat (production: 5)"
    )
    parser.add_argument("--database", default="bench_latency")
    parser.add_argument("--redis-db", type=int, default=8)
    parser.add_argument("--port", type=int, default=8789)
    return parser.parse_args()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    os.environ.update(DATABASE_CONN_MAX_AGE="60", SYNC_SWEEP_SECONDS=str(args.sweep))
    os.environ["CELERY_BEAT_SCHEDULE_FILENAME"] = str(ROOT / ".local" / f"latency-beat-{os.getpid()}")
    from drills.harness import sandbox

    with sandbox(database=args.database, redis_db=args.redis_db, port=args.port) as base_url:
        worker = subprocess.Popen(  # nosec B603  # fixed argument list built by the drill itself, no shell, no outside input
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "channels_portal",
                "worker",
                "--pool=threads",
                "--concurrency=4",
                "--hostname=latency@%h",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--beat",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        try:
            run(args=args, base_url=base_url)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)


def run(*, args: argparse.Namespace, base_url: str) -> None:
    import requests
    from django.db import connection
    from sync_throughput import connect_channels

    from accounting.sync.models import SyncRecord
    from organizations.api_keys import api_key_create
    from organizations.models import Organization
    from stores.models import Store
    from xero_sandbox import testing
    from xero_sandbox.models import Invoice as XeroInvoice

    merchant = Organization.objects.create(name="Latency merchant", slug="latency")
    store = Store.objects.create(organization=merchant, name="Latency store", currency="GBP")
    app = testing.app_create(name="Latency app", tier="core")
    books = testing.organisation_create(name="Latency Books")
    token = testing.token_issue(app=app, organisations=[books], expires_in=6 * 3600)
    connect_channels([(store, app, books, token)])
    _key, raw = api_key_create(organization=merchant, name="Latency key", created_by=None)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {raw}"
    time.sleep(3.0)  # the worker is up and idle
    answers: list[float] = []
    claims: list[float] = []
    in_xero: list[float] = []
    for n in range(args.invoices):
        number = f"LAT-{n:04d}"
        body = {
            "number": number,
            "customer_name": "Latency customer",
            "issue_date": "2026-05-01",
            "due_date": "2026-05-31",
            "lines": [{"description": "Item", "quantity": "1", "unit_price": "9.99", "tax_rate": "20"}],
        }
        began_wall = time.time()
        began = time.monotonic()
        answer = session.post(f"{base_url}/api/v1/stores/{store.pk}/invoices/", json=body, timeout=30)
        answers.append(time.monotonic() - began)
        assert answer.status_code == 201, answer.text
        deadline = began + 120
        while not XeroInvoice.objects.filter(organisation=books, invoice_number=number).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{number} did not reach the sandbox in 120 s")
            connection.close_if_unusable_or_obsolete()
            time.sleep(0.005)
        in_xero.append(time.monotonic() - began)
        claimed = (
            SyncRecord.objects.filter(channel__store=store, object_id=answer.json()["id"])
            .values_list("claimed_at", flat=True)
            .first()
        )
        if claimed is not None:
            claims.append(claimed.timestamp() - began_wall)
        time.sleep(args.gap)
    print(f"\n{args.invoices} invoices, one at a time, idle, worker beat sweep {args.sweep} s")
    print(f"the channel's first invoice (tax rates read, contact looked up and created): API answer "
          f"{1000 * answers[0]:.0f} ms, in Xero {1000 * in_xero[0]:.0f} ms; the others:")  # fmt: skip
    answers, claims, in_xero = answers[1:], claims[1:], in_xero[1:]
    for label, values in (
        ("API answer (201)", answers),
        ("create → row claimed", claims),
        ("create → in Xero", in_xero),
    ):
        print(
            f"{label:26} p50 {1000 * percentile(values, 0.5):7.0f} ms   p95 {1000 * percentile(values, 0.95):7.0f} ms"
            f"   max {1000 * max(values, default=0):7.0f} ms"
        )


if __name__ == "__main__":
    main()

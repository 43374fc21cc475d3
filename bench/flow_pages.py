#!/usr/bin/env python
"""Benchmark of the README's own `make run`: how long the flow's steps and pages take while the worker sends.

Not a test. It copies the checkout into a temporary folder and starts `make run` there as a
newcomer does (SQLite and kombu's file broker; `--postgres` uses the machine's PostgreSQL and
Redis instead), walks the ten documented steps in Chromium, then, while a store system creates
invoices through the Billing API (so the worker is sending), times GETs of every page of the
flow. It prints:
- the time "Is Active" takes to switch the channel on (click to message),
- create → "in Xero" for invoices at the Sales account's rate (Billing API POST until the API
  says `in_xero`), p50 / p95 / max,
- per page, p50 / p95 / max of its answer time under that load,
- whether the log holds "database is locked" or a traceback.

    .venv/bin/python bench/flow_pages.py                  # SQLite, file broker (the README's default)
    .venv/bin/python bench/flow_pages.py --postgres       # PostgreSQL and Redis
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drills.make_run.flow import api_key, create_invoice, log_in, session_cookies, ten_steps  # noqa: E402
from drills.make_run.portal import fresh_services, make_run, stop, sync_state  # noqa: E402
from drills.waiting import wait_for  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(share * (len(ordered) - 1)), len(ordered) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (database bench_flow) and Redis db 14")
    parser.add_argument("--invoices", type=int, default=20, help="invoices timed from create to Xero")
    parser.add_argument("--load", type=int, default=150, help="invoices created meanwhile, to keep the worker busy")
    parser.add_argument("--repeat", type=int, default=15, help="GETs of each page")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-flow-") as folder:
        extra = {}
        if args.postgres:
            database_url, redis_url = fresh_services(
                server="postgres://postgres@127.0.0.1:5432",
                database="bench_flow",
                redis_url="redis://127.0.0.1:6379/14",
            )
            extra = {"database_url": database_url, "redis_url": redis_url}
        portal = make_run(Path(folder), **extra)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.set_default_timeout(30_000)
                log_in(page, portal)
                store_id, switch_on = ten_steps(page, portal)
                channel_url = page.url
                key = api_key(page, portal, name="Bench")
                cookies = session_cookies(page)
                browser.close()
            report(portal, args=args, switch_on=switch_on, key=key, store_id=store_id, channel_url=channel_url,
                   cookies=cookies)  # fmt: skip
        finally:
            stop(portal.process)
    return 0


def report(portal, *, args, switch_on: float, key: str, store_id: int, channel_url: str, cookies: dict) -> None:
    print(f"database: {'PostgreSQL + Redis' if args.postgres else 'SQLite + file broker (make run default)'}")
    print(f"Is Active, click to 'is active' message: {switch_on * 1000:.0f} ms")
    latencies = []
    for n in range(args.invoices):
        started = time.monotonic()
        invoice_id = create_invoice(portal, key=key, store_id=store_id, number=f"LAT-{n}", rate="20")

        def in_xero(invoice_id: int = invoice_id) -> bool:
            return sync_state(portal, key=key, invoice_id=invoice_id).get("state") == "in_xero"

        wait_for(in_xero, timeout=60, interval=0.05, what=f"invoice LAT-{n} in Xero")
        latencies.append(time.monotonic() - started)
    print(
        f"create → in Xero, {len(latencies)} invoices one at a time: p50 {statistics.median(latencies) * 1000:.0f} "
        f"ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )

    loading = threading.Thread(
        target=lambda: [
            create_invoice(portal, key=key, store_id=store_id, number=f"LOAD-{n}", rate="20") for n in range(args.load)
        ]
    )
    loading.start()
    session = requests.Session()
    session.cookies.update(cookies)
    channel_id = channel_url.rstrip("/").split("/")[-1]
    invoice = session.get(
        f"{portal.url}/api/v1/stores/{store_id}/invoices/", headers={"Authorization": f"Bearer {key}"}
    )
    first_invoice = invoice.json()["results"][0]["id"]
    pages = {
        "store list": "/stores/",
        "store page": f"/stores/{store_id}/",
        "Accounting Channel tab": f"/stores/{store_id}/channels/",
        "+ Add (providers)": f"/stores/{store_id}/channels/add/",
        "channel page": f"/channels/{channel_id}/",
        "progress JSON (every 3 s)": f"/channels/{channel_id}/sync/progress/",
        "sync ledger": f"/channels/{channel_id}/ledger/",
        "invoice list": f"/stores/{store_id}/invoices/",
        "invoice page": f"/stores/{store_id}/invoices/{first_invoice}/",
    }
    print(f"page answers while {args.load} invoices are created and sent ({args.repeat} GETs each):")
    worst = 0.0
    for name, path in pages.items():
        times = []
        for _ in range(args.repeat):
            started = time.monotonic()
            answer = session.get(f"{portal.url}{path}", timeout=30)
            times.append(time.monotonic() - started)
            assert answer.status_code == 200, (path, answer.status_code)
        worst = max(worst, max(times))
        print(f"  {name:28} p50 {statistics.median(times) * 1000:6.0f} ms  p95 {percentile(times, 0.95) * 1000:6.0f} ms"
              f"  max {max(times) * 1000:6.0f} ms")  # fmt: skip
    loading.join()
    log = portal.log_text()
    print(f"slowest page answer: {worst * 1000:.0f} ms")
    print(f"'database is locked' in the log: {log.count('database is locked')}; tracebacks: {log.count('Traceback')}")


if __name__ == "__main__":
    sys.exit(main())

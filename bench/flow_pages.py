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

from drills.local_portal import LocalPortal, invoice_body, make_run, stop, sync_state  # noqa: E402
from drills.waiting import wait_for  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(share * (len(ordered) - 1)), len(ordered) - 1)]


def walk(page, portal: LocalPortal) -> tuple[float, int, str]:
    """The ten steps by their labels; return (seconds Is Active took, store id, channel page URL)."""
    import re

    page.goto(f"{portal.url}/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo-password-2026")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Stores").click()
    page.get_by_role("row", name=re.compile("High Street Shop")).get_by_role("link", name="Edit").click()
    found = re.search(r"/stores/(\d+)/", page.url)
    assert found, page.url
    store_id = int(found.group(1))
    page.get_by_role("link", name="Accounting Channel").click()
    page.get_by_role("link", name="+ Add").click()
    page.get_by_role("link", name=re.compile(r"^Xero")).click()
    page.get_by_label("Channel Name").fill("UK books")
    page.get_by_label("Account Nominal Code").fill("200")
    page.get_by_label("Client ID").fill(portal.client_id)
    page.get_by_label("Client Secret").fill(portal.client_secret)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Connect").click()
    page.get_by_role("button", name="Allow access").click()
    page.get_by_role("link", name="Continue").click()
    started = time.monotonic()
    page.locator("label.toggle", has_text="Is Active").click()
    page.get_by_text("“UK books” is active: invoices and products are sent to Xero.").wait_for()
    return time.monotonic() - started, store_id, page.url


def api_key(page, portal: LocalPortal) -> str:
    page.goto(f"{portal.url}/organizations/api-keys/")
    page.get_by_label("Name").fill("Bench")
    page.get_by_role("button", name="Create key").click()
    return page.locator("#raw-key").input_value()


def create(portal: LocalPortal, *, key: str, store_id: int, number: str) -> int:
    answer = requests.post(
        f"{portal.url}/api/v1/stores/{store_id}/invoices/",
        json=invoice_body(number=number, rate="20"),
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    answer.raise_for_status()
    return int(answer.json()["id"])


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
            import psycopg
            import redis

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
                connection.execute("DROP DATABASE IF EXISTS bench_flow WITH (FORCE)")
                connection.execute("CREATE DATABASE bench_flow")
            redis.Redis.from_url("redis://127.0.0.1:6379/14").flushdb()
            extra = {"database_url": "postgres://postgres@127.0.0.1:5432/bench_flow",
                     "redis_url": "redis://127.0.0.1:6379/14"}  # fmt: skip
        portal = make_run(Path(folder), **extra)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.set_default_timeout(30_000)
                switch_on, store_id, channel_url = walk(page, portal)
                key = api_key(page, portal)
                cookies = {c["name"]: c["value"] for c in page.context.cookies()}
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
        invoice_id = create(portal, key=key, store_id=store_id, number=f"LAT-{n}")

        def in_xero(invoice_id: int = invoice_id) -> bool:
            return sync_state(portal, key=key, invoice_id=invoice_id).get("state") == "in_xero"

        wait_for(in_xero, timeout=60, interval=0.05, what=f"invoice LAT-{n} in Xero")
        latencies.append(time.monotonic() - started)
    print(
        f"create → in Xero, {len(latencies)} invoices one at a time: p50 {statistics.median(latencies) * 1000:.0f} "
        f"ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )

    loading = threading.Thread(
        target=lambda: [create(portal, key=key, store_id=store_id, number=f"LOAD-{n}") for n in range(args.load)]
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

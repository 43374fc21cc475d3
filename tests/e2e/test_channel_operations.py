"""The operator's channel pages in a real browser, against the sandbox over HTTP:

- the "Progress" card moving without a reload while a real Celery worker drains a backlog under
  the sandbox's (scaled) rate limits;
- the sync ledger: failures grouped by cause, a filter, the fix, then "Retry all with this cause";
- "Test connection" on the connection card.

A screenshot of each step goes to `$E2E_ARTIFACTS` (else `$SCREENSHOTS`, else
`.local/e2e-artifacts/`), named `<test>-<step>.png`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.conf import settings
from playwright.sync_api import expect

from accounting.sync.models import SyncRecord, SyncState
from stores.services import invoice_create
from tests.accounting.sync.conftest import (
    connect_channel,
    sandbox_org,
    start_worker,
    stop_worker,
    worker_env,
)
from tests.accounting.sync.turns import drain
from tests.factories import StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
GRANTED = (
    "openid profile email offline_access accounting.invoices accounting.payments accounting.contacts "
    "accounting.settings"
)
ACCOUNT_REFUSED = "Account code '999' is not a valid code for this document."


def artifacts() -> Path:
    folder = Path(os.environ.get("E2E_ARTIFACTS") or os.environ.get("SCREENSHOTS") or ROOT / ".local/e2e-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page, test: str, step: str) -> None:
    page.screenshot(path=str(artifacts() / f"{test}-{step}.png"), full_page=True)


def invoices(store, count: int, *, prefix: str) -> list:
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal("4.00"), "tax_rate": Decimal("20")}
    return [
        invoice_create(
            store=store,
            number=f"{prefix}-{n:03d}",
            customer_name="Bo Peep",
            customer_email="bo@example.com",
            issue_date=dt.date(2026, 11, 2),
            due_date=dt.date(2026, 12, 2),
            lines=[line],
        )
        for n in range(1, count + 1)
    ]


@pytest.fixture
def clean_redis():
    """Empty this run's Redis database (limiter, broker, sandbox limits) before and after."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def slow_sandbox(xero_sandbox, settings, clean_redis):
    """The sandbox with its rate limits on and a Xero minute of 15 s (both sides alike)."""
    settings.XERO_SANDBOX_TIME_SCALE = 4.0
    settings.XERO_RATE_TIME_SCALE = 4.0
    settings.XERO_SANDBOX_RATE_LIMITS = True
    return xero_sandbox


def percent_of(page) -> int:
    return int(page.locator('#sync-progress [data-field="percent"]').inner_text().rstrip("%"))


def test_the_progress_bar_moves_while_a_worker_drains_a_backlog(
    slow_sandbox, logged_in_page, live_server, organization
):
    org = sandbox_org("Backlog Books Ltd")
    store = StoreFactory.create(organization=organization, name="High Street", currency="GBP")
    channel = connect_channel(org=org, store=store, name="UK books", account_nominal_code="200")
    invoices(store, 40, prefix="B")
    page = logged_in_page
    page.goto(f"{live_server.url}/channels/{channel.pk}/")
    card = page.locator("#sync-progress")
    expect(card.locator('[data-field="waiting"]')).to_have_text("40")
    assert percent_of(page) == 0
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    shoot(page, "progress", "1-backlog")

    # One invoice per batch: 40 writes under 60 calls per (15 s) minute take a while to drain.
    env = worker_env(live_server_url=live_server.url, time_scale=4.0) | {"SYNC_BATCH_SIZE": "1"}
    worker = start_worker(env=env, name="progress-e2e", concurrency=1)
    try:
        seen: set[int] = set()
        page.wait_for_function(
            "() => { const p = parseInt(document.querySelector('#sync-progress [data-field=\"percent\"]')"
            ".textContent); return p > 0 && p < 100; }",
            timeout=60_000,
        )
        seen.add(percent_of(page))
        expect(card.locator('[data-field="summary"]')).to_contain_text("records a minute")
        shoot(page, "progress", "2-draining")
        page.wait_for_function(
            "() => document.querySelector('#sync-progress [data-field=\"percent\"]').textContent === '100%'",
            timeout=120_000,
        )
    finally:
        stop_worker(worker)
    seen.add(percent_of(page))
    assert page.evaluate("window.__sameDocument") is True  # updated in place, never reloaded
    assert min(seen) < 100 == max(seen)
    expect(card.locator('[data-field="summary"]')).to_have_text("Nothing waiting: the backlog is drained.")
    expect(page.locator("#sync-synced")).to_have_text("40")  # the Sync card follows too
    assert card.locator('[role="progressbar"]').get_attribute("aria-valuenow") == "100"
    shoot(page, "progress", "3-drained")
    assert SyncRecord.objects.filter(channel=channel, state=SyncState.SYNCED).count() == 40


def test_ledger_filters_then_retries_all_failures_of_one_cause(
    xero_sandbox, clean_redis, logged_in_page, live_server, organization
):
    org = sandbox_org("Ledger Books Ltd")
    store = StoreFactory.create(organization=organization, name="High Street", currency="GBP")
    channel = connect_channel(org=org, store=store, name="UK books", account_nominal_code="999")
    invoices(store, 3, prefix="F")
    drain(channel)
    assert SyncRecord.objects.filter(channel=channel, state=SyncState.FAILED).count() == 3
    page = logged_in_page

    page.goto(f"{live_server.url}/channels/{channel.pk}/")
    page.get_by_role("link", name="Sync ledger").click()
    causes = page.locator("table.ledger-causes tbody tr").filter(has_text=ACCOUNT_REFUSED)
    expect(causes).to_contain_text("3 invoices")
    shoot(page, "ledger", "1-causes")

    page.get_by_label("State").select_option(label="Failed")
    page.get_by_label("Search").fill("F-002")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.ledger-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("F-002")
    expect(rows.first).to_contain_text(ACCOUNT_REFUSED)
    shoot(page, "ledger", "2-filtered")

    # The fix: a sales account Xero has, saved on the channel page; then retry the whole cause.
    page.goto(f"{live_server.url}/channels/{channel.pk}/")
    page.get_by_label("Account Nominal Code").fill("200")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The channel settings were saved.")).to_be_visible()
    page.get_by_role("link", name="Sync ledger").click()
    page.get_by_role("button", name=re.compile("^Retry all with this cause")).click()
    expect(page.get_by_text("3 records queued for retry.")).to_be_visible()
    shoot(page, "ledger", "3-retried")

    drain(channel)
    page.reload()
    expect(page.get_by_text("No failures.")).to_be_visible()
    expect(page.locator("table.ledger-rows tbody tr")).to_have_count(3)
    for state in page.locator("table.ledger-rows tbody tr .badge").all_inner_texts():
        assert state == "Synced"
    shoot(page, "ledger", "4-synced")


def test_test_connection_shows_each_probe_inline(xero_sandbox, clean_redis, logged_in_page, live_server, organization):
    org = sandbox_org("Probe Books Ltd")
    store = StoreFactory.create(organization=organization, name="High Street", currency="GBP")
    channel = connect_channel(org=org, store=store, name="UK books", account_nominal_code="200", scopes=GRANTED)
    page = logged_in_page
    page.goto(f"{live_server.url}/channels/{channel.pk}/")
    health = page.locator("#health")
    expect(health).to_contain_text("Probe Books Ltd")
    expect(health).to_contain_text("Refresh token expires")
    shoot(page, "test-connection", "1-card")

    health.get_by_role("button", name="Test connection").click()
    result = page.locator("#connection-test")
    expect(result).to_contain_text("Test connection: every check passed.")
    expect(result.locator("li").filter(has_text="Organisation")).to_contain_text("Probe Books Ltd")
    expect(result.locator("li").filter(has_text="Sales account")).to_contain_text("OK")
    # Xero's answers told the limits: the card shows the calls left today and this minute.
    expect(page.locator("#health-limits")).to_contain_text("today")
    expect(page.locator("#health-limits")).to_contain_text("this minute")
    shoot(page, "test-connection", "2-results")
    assert settings.XERO_API_URL.startswith(live_server.url)

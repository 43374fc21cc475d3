"""The README's own `make run`, walked in Chromium as a newcomer walks it, on SQLite and kombu's file
broker (the default), and on PostgreSQL and Redis.

The ten documented steps by their labels; then the demo store's own invoices go or wait saying
for what, an invoice from the Billing API at the Sales account's rate reaches the sandbox's
organisation, one at a rate with several fitting tax types
waits saying why and goes once the operator chooses; the channel page's Xero buttons answer; and
the log holds no lock error and no traceback. Ctrl-C stops every process of the run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from decimal import Decimal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from accounting.providers.xero.mapping import line_accounts_unset_message, tax_unmapped_message
from drills.make_run.flow import api_key, create_invoice, log_in, ten_steps
from drills.make_run.portal import fresh_services, group_processes, make_run, stop, sync_state
from drills.waiting import wait_for
from stores.models import LineKind

pytestmark = [pytest.mark.browser]

LOCK_ERRORS = ("database is locked", "Traceback")


@pytest.fixture(params=["sqlite", "postgresql"])
def local_portal(request, tmp_path, browser):
    """`make run` on the README's default, or on the machine's PostgreSQL and Redis."""
    if request.param == "sqlite":
        portal = make_run(tmp_path)
    else:
        if getattr(settings, "SERVICES_MISSING", []):
            pytest.skip(f"needs {', '.join(settings.SERVICES_MISSING)}")
        db = settings.DATABASES["default"]
        redis_at = urlparse(os.environ["REDIS_URL"])
        database_url, redis_url = fresh_services(
            server=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}",
            database=f"make_run_{os.getpid()}",
            redis_url=f"redis://{redis_at.hostname}:{redis_at.port or 6379}/15",
        )
        portal = make_run(tmp_path, database_url=database_url, redis_url=redis_url)
    yield portal
    pgid = portal.process.pid
    stop(portal.process)
    assert group_processes(pgid) == [], "processes of make run left running after Ctrl-C"


def _demo_states(portal, *, key: str, store_id: int) -> dict[str, tuple[str, str]]:
    """The store's invoices as the Billing API lists them: number → (sync state, last error) in its channel."""
    answer = requests.get(
        f"{portal.url}/api/v1/stores/{store_id}/invoices/", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    answer.raise_for_status()
    return {
        invoice["number"]: (invoice["sync"][0]["state"], invoice["sync"][0]["last_error"])
        if invoice["sync"]
        else ("", "")
        for invoice in answer.json()["results"]
    }


def test_the_readme_flow_on_make_run(local_portal, page, shot):
    portal = local_portal
    page.set_default_timeout(20_000)
    log_in(page, portal)
    store_id, _ = ten_steps(page, portal)
    shot("active")
    channel_url = page.url
    key = api_key(page, portal, name="Till system")

    # The demo store's own invoices were queued when the channel was created: within 10 seconds of
    # Is Active the one at the Sales account's rate with product lines only is in Xero, and each
    # of the others waits, saying for what.
    demo_waits = {
        "HS-1001": line_accounts_unset_message(kinds=[LineKind.SHIPPING]),
        "HS-1003": line_accounts_unset_message(kinds=[LineKind.SHIPPING, LineKind.DISCOUNT]),
        "HS-1004": tax_unmapped_message(rate=Decimal("0")),
    }
    demo = wait_for(
        lambda: s if (s := _demo_states(portal, key=key, store_id=store_id))["HS-1002"][0] == "in_xero" else {},
        timeout=10, what="the demo's HS-1002 in Xero",
    )  # fmt: skip
    assert {number: demo[number] for number in demo_waits} == {
        number: ("waiting", message) for number, message in demo_waits.items()
    }

    # At the Sales account's rate: its default tax type (OUTPUT2) goes, within 10 seconds.
    sent = create_invoice(portal, key=key, store_id=store_id, number="MR-20", rate="20")
    state = wait_for(lambda: s if (s := sync_state(portal, key=key, invoice_id=sent))["state"] == "in_xero" else {},
                     timeout=10, what="the 20% invoice in Xero")  # fmt: skip
    assert state["xero_id"]
    page.goto(f"{portal.url}/xero-sandbox/")
    page.get_by_role("link", name="Demo Company (UK)").first.click()
    expect(page.get_by_role("cell", name="MR-20", exact=True)).to_be_visible()

    # At 0%: several UK tax types fit, so it waits, saying where to choose, and goes once chosen.
    held = create_invoice(portal, key=key, store_id=store_id, number="MR-0", rate="0")
    state = wait_for(lambda: s if (s := sync_state(portal, key=key, invoice_id=held))["state"] == "waiting" else {},
                     timeout=10, what="the 0% invoice waiting")  # fmt: skip
    assert state["last_error"] == tax_unmapped_message(rate=Decimal("0"))
    page.goto(channel_url)
    expect(page.locator("#sync-waiting-for")).to_contain_text("wait for Tax mapping")
    page.get_by_label("Xero tax type for 0% (Goods)").select_option("ZERORATEDOUTPUT")
    page.get_by_role("button", name="Save tax mapping").click()
    expect(page.get_by_text(re.compile(r"^The tax mapping was saved\."))).to_be_visible()
    wait_for(lambda: sync_state(portal, key=key, invoice_id=held)["state"] == "in_xero", timeout=10,
             what="the 0% invoice in Xero once its type was chosen")  # fmt: skip
    wait_for(lambda: _demo_states(portal, key=key, store_id=store_id)["HS-1004"][0] == "in_xero", timeout=10,
             what="the demo's HS-1004 (a 0% line) in Xero once the type was chosen")  # fmt: skip

    # The channel page's calls to Xero answer.
    page.goto(channel_url)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-test")).to_contain_text("Test connection:")
    page.get_by_role("button", name=re.compile(r"^(Refresh from Xero|Read tax rates from Xero)$")).first.click()
    expect(page.get_by_text(re.compile(r"^\d+ sales tax rates were read from Xero\.$"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^(Refresh|Read) accounts from Xero$")).first.click()
    expect(page.get_by_text(re.compile(r"^\d+ accounts were read from Xero\.$"))).to_be_visible()
    shot("after")
    log = portal.log_text()
    for error in LOCK_ERRORS:
        assert error not in log, log[max(log.find(error) - 2000, 0) : log.find(error) + 500]


def _in_summary(portal, *, key: str, invoice_id: int) -> dict:
    def state() -> dict:
        found = sync_state(portal, key=key, invoice_id=invoice_id)
        return found if found["state"] == "in_summary" else {}

    return wait_for(state, timeout=15, what="the invoice in its day's summary")


def _summary_sent(portal, *, key: str, summary_id: int) -> dict:
    answer = requests.get(
        f"{portal.url}/api/v1/summaries/{summary_id}/", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    answer.raise_for_status()
    held = answer.json()
    return held if held["state"] == "in_xero" else {}


def test_posting_per_day_with_tracking_on_make_run(local_portal, page, shot):
    """Issue 21's "done when" on the README's default and on PostgreSQL: the demo company's tracking
    option chosen, Posting set to one summary invoice per day from yesterday (a closed day, no grace),
    five invoices of that day from the Billing API: Xero holds one invoice for the day, their sum to
    the cent, none of them on its own, every line tracked; the summary's page lists the five."""
    portal = local_portal
    page.set_default_timeout(20_000)
    log_in(page, portal)
    store_id, _ = ten_steps(page, portal)
    channel_url = page.url
    key = api_key(page, portal, name="Till system")
    page.goto(channel_url)
    tracking = page.locator("#tracking")
    tracking.get_by_role("button", name="Read tracking categories from Xero").click()
    expect(page.get_by_text("1 tracking category was read from Xero.")).to_be_visible()
    page.locator("#tracking").get_by_label("Tracking option").select_option(label="Region: North")
    page.locator("#tracking").get_by_role("button", name="Save tracking").click()
    expect(page.get_by_text("Tracking saved: the lines sent from now on carry it.")).to_be_visible()
    yesterday = dt.datetime.now(ZoneInfo("Europe/London")).date() - dt.timedelta(days=1)  # the demo shop's zone
    posting = page.locator("#posting")
    posting.get_by_label("Posting").select_option(label="One summary invoice per day")
    posting.get_by_label("From (store day)").fill(yesterday.isoformat())
    posting.get_by_label("Grace period (minutes)").fill("0")
    posting.get_by_role("button", name="Save posting").click()
    expect(page.get_by_text(f"Posting saved: One summary invoice per day from {yesterday:%d %b %Y}.")).to_be_visible()
    shot("posting-saved")

    # Prices whose tax Xero rounds alike line by line and summed: no rounding line (none is chosen).
    prices = ["10.00", "12.50", "7.99", "3.30", "20.00"]
    numbers = [f"DAY-{n}" for n in range(1, 6)]
    ids = [
        create_invoice(portal, key=key, store_id=store_id, number=number, rate="20", issue_date=yesterday.isoformat(),
                       price=price)
        for number, price in zip(numbers, prices, strict=True)
    ]  # fmt: skip
    states = [_in_summary(portal, key=key, invoice_id=i) for i in ids]
    assert len({state["summary"] for state in states}) == 1
    summary_id = int(str(states[0]["summary"]))
    held = wait_for(lambda: _summary_sent(portal, key=key, summary_id=summary_id), timeout=30,
                    what="the day's summary in Xero")  # fmt: skip
    expected = sum((Decimal(p) * Decimal("1.2") for p in prices), Decimal(0)).quantize(Decimal("0.01"))
    assert (held["number"], Decimal(held["total"])) == (f"DAY-{yesterday:%Y%m%d}-GBP", expected)
    assert sorted(entry["number"] for entry in held["invoices"]) == numbers

    # What Xero holds: one invoice for the day, every line carrying Region: North, none of the five alone.
    page.goto(f"{portal.url}/xero-sandbox/")
    organisation = page.get_by_role("link", name="Demo Company (UK)").first.get_attribute("href") or ""
    log = page.request.get(f"{portal.url}{organisation}requests.jsonl").text()
    answers = [json.loads(line) for line in log.splitlines() if line]
    invoices = {}
    for answer in answers:
        if answer["path"].endswith("/Invoices") and answer["method"] in ("PUT", "POST") and answer["status"] == 200:
            for invoice in json.loads(answer["response_body"] or "{}").get("Invoices", []):
                invoices[invoice["InvoiceNumber"]] = invoice
    assert not set(numbers) & set(invoices)
    summary = invoices[held["number"]]
    assert Decimal(str(summary["Total"])) == expected
    assert [[(t["Name"], t["Option"]) for t in line["Tracking"]] for line in summary["LineItems"]] == [
        [("Region", "North")]
    ] * len(summary["LineItems"])

    page.goto(channel_url)
    page.locator("#posting").get_by_role("link", name=f"{yesterday.day} {yesterday:%b %Y}").click()
    expect(page.locator("#summary-state")).to_have_text("In Xero")
    expect(page.locator(".summary-invoices tbody tr")).to_have_count(5)
    shot("summary-page")
    log_text = portal.log_text()
    for error in LOCK_ERRORS:
        assert error not in log_text, log_text[max(log_text.find(error) - 2000, 0) : log_text.find(error) + 500]

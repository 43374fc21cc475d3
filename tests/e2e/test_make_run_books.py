"""Payouts, drift and reconciliation on the README's own `make run`, in Chromium, on SQLite and the
file broker (the default) and on PostgreSQL and Redis, with the real worker and beat.

Issue 20's "done when": the operator makes the choices the demo's books wait for on the channel's
cards (tax mapping, line accounts, payment and payout accounts, a reconnect for Xero's bank
permission) and switches webhooks on as a merchant does; a card payout sent through the Billing API
is one Xero transaction of `net` on the chosen bank account and leaves the clearing account at zero;
one with bad arithmetic is a 400 that saves nothing; the demo store's reconciliation lists no
difference; an invoice voided in Xero shows as voided in Xero on its page, in the Billing API and on
the Reconcile page within a minute.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from playwright.sync_api import Page, expect

from drills.make_run.flow import api_key, create_invoice, log_in, ten_steps
from drills.make_run.portal import LocalPortal, sync_state
from drills.waiting import wait_for
from tests.e2e.test_make_run import LOCK_ERRORS, local_portal  # noqa: F401  # the same `make run` fixture

pytestmark = [pytest.mark.browser]


def _api(portal: LocalPortal, key: str, method: str, path: str, *, json: object = None) -> requests.Response:
    return requests.request(
        method, f"{portal.url}/api/v1/{path}", headers={"Authorization": f"Bearer {key}"}, timeout=30, json=json
    )


def _choose_what_the_demo_waits_for(page: Page, channel_url: str) -> None:
    """The channel page's cards, as an operator fills them for the demo's UK books."""
    page.goto(channel_url)
    page.get_by_label("Xero tax type for 0% (Goods)").select_option("ZERORATEDOUTPUT")
    page.get_by_role("button", name="Save tax mapping").click()
    expect(page.get_by_text(re.compile(r"^The tax mapping was saved\."))).to_be_visible()
    lines = page.locator("#line-accounts")
    lines.get_by_role("button", name=re.compile(r"^(Refresh|Read) accounts from Xero$")).click()
    lines = page.locator("#line-accounts")
    lines.get_by_label("Shipping account").select_option("250")
    lines.get_by_label("Discount account").select_option("260")
    lines.get_by_role("button", name="Save line accounts").click()
    expect(page.get_by_text(re.compile(r"^The line accounts were saved"))).to_be_visible()
    card = page.locator("#payment-accounts")
    card.get_by_role("button", name=re.compile(r"^(Refresh from Xero|Read accounts from Xero)$")).click()
    card = page.locator("#payment-accounts")
    card.get_by_label("Xero account for Default (any method)").select_option(label="Business Bank Account (090, Bank)")
    card.get_by_label("Xero account for card").select_option(label="Card Payments Clearing (605, Current)")
    card.get_by_label("Payout bank account for card").select_option(label="Business Bank Account (090, Bank)")
    card.get_by_label("Fees account for card").select_option("404")
    card.get_by_label("Fees tax type for card").select_option(label="Exempt Expenses (EXEMPTINPUT)")
    card.get_by_role("button", name="Save payment accounts").click()
    expect(page.get_by_text("The payment accounts were saved.")).to_be_visible()
    expect(page.locator(".payouts-reconnect")).to_contain_text("Reconnect to allow payouts.")
    # Xero's bank permission is asked for by the next consent.
    page.locator("#health").get_by_role("button", name="Reconnect").click()
    page.get_by_role("button", name="Allow access").click()
    page.get_by_role("link", name="Continue").click()
    expect(page.locator(".payouts-reconnect")).to_have_count(0)


def _webhooks_on(page: Page, portal: LocalPortal, channel_url: str) -> None:
    """The merchant's Xero app gets the channel's delivery URL; the channel gets the app's key."""
    page.goto(channel_url)
    delivery_url = page.locator("#xero-webhook-url").inner_text().strip()
    page.goto(f"{portal.url}/xero-sandbox/apps/{portal.client_id}/")
    key = page.locator("#webhook-key").inner_text().strip()
    page.goto(channel_url)
    page.get_by_label("Webhooks key").fill(key)
    page.get_by_role("button", name="Save webhook key").click()
    page.goto(f"{portal.url}/xero-sandbox/apps/{portal.client_id}/")
    page.get_by_label("Webhook delivery URL").fill(delivery_url)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name='Send "Intent to receive"').click()
    expect(page.get_by_role("cell", name="Verified")).to_be_visible()


def _unsent(portal: LocalPortal, key: str, store_id: int) -> list[tuple[str, str, str]]:
    """The store's invoices and payouts not in Xero yet: (number or reference, state, Xero's last answer)."""
    invoices = _api(portal, key, "GET", f"stores/{store_id}/invoices/?page_size=100").json()["results"]
    payouts = _api(portal, key, "GET", f"stores/{store_id}/payouts/").json()["results"]
    records = [(i["number"], i["sync"]) for i in invoices] + [(p["reference"], p["sync"]) for p in payouts]
    return [
        (name, sync[0]["state"] if sync else "", sync[0]["last_error"] if sync else "")
        for name, sync in records
        if not sync or sync[0]["state"] not in ("in_xero", "paid_in_xero")
    ]


def _reconciliation(portal: LocalPortal, key: str, store_id: int, date_from: dt.date, date_to: dt.date) -> dict:
    path = f"stores/{store_id}/reconciliation/?date_from={date_from}&date_to={date_to}"
    first = _api(portal, key, "GET", path)
    assert first.status_code in (200, 202), first.text
    location = first.headers.get("Location", "")

    def done() -> dict:
        answer = requests.get(f"{portal.url}{location}", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        return answer.json() if answer.status_code == 200 else {}

    return wait_for(done, timeout=60, what="the reconciliation done") if location else first.json()


def test_payouts_drift_and_reconciliation_on_make_run(local_portal, page, shot):  # noqa: F811
    portal = local_portal
    page.set_default_timeout(20_000)
    log_in(page, portal)
    store_id, _ = ten_steps(page, portal)
    channel_url = page.url
    key = api_key(page, portal, name="Till system")
    _choose_what_the_demo_waits_for(page, channel_url)
    _webhooks_on(page, portal, channel_url)
    shot("choices-made")

    # A card sale and the gateway's payout of it, from the Billing API.
    today = dt.date.today()
    sold = create_invoice(portal, key=key, store_id=store_id, number="MR-CARD-1", rate="20", price="50.00")
    paid = _api(portal, key, "POST", f"invoices/{sold}/payments/",
                json={"amount": "60.00", "date": str(today), "method": "card"})  # fmt: skip
    assert paid.status_code == 201, paid.text
    payment_id = paid.json()["payments"][0]["id"]
    payout = {"reference": "po_mr_0001", "method": "card", "currency": "GBP", "date": str(today),
              "gross": "60.00", "fees": "1.10", "payments": [payment_id]}  # fmt: skip
    bad = _api(portal, key, "POST", f"stores/{store_id}/payouts/", json={**payout, "net": "59.00"})
    assert bad.status_code == 400 and "net" in bad.json(), bad.text
    assert [p["reference"] for p in _api(portal, key, "GET", f"stores/{store_id}/payouts/").json()["results"]] == [
        "po_demo_hs_0001"
    ]
    created = _api(portal, key, "POST", f"stores/{store_id}/payouts/", json={**payout, "net": "58.90"})
    assert created.status_code == 201, created.text
    try:
        wait_for(lambda: not _unsent(portal, key, store_id), timeout=90, what="the demo store's records in Xero")
    except AssertionError:
        assert _unsent(portal, key, store_id) == []  # says which, and why

    # Xero: one receive-money of net on the payout bank account; the clearing account holds nothing.
    page.goto(f"{portal.url}/xero-sandbox/")
    page.get_by_role("link", name="Demo Company (UK)").first.click()
    deposit = page.locator("#bank-transactions tr").filter(has_text="po_mr_0001")
    expect(deposit).to_have_count(1)
    expect(deposit).to_contain_text("RECEIVE")
    expect(deposit).to_contain_text("090 Business Bank Account")
    expect(deposit).to_contain_text("GBP 58.90")
    expect(page.locator("#money-accounts tr[data-code='605'] .movement")).to_have_text("0.00")
    shot("sandbox-payout")

    # The demo store's books (its invoices go back 14 days) reconcile with no difference.
    done = _reconciliation(portal, key, store_id, today - dt.timedelta(days=20), today)
    assert (done["state"], done["differences"]) == ("done", [])
    assert done["calls"] >= 4 and done["bytes_read"] > 0
    assert not any(day["differs"] for day in done["totals"])

    # Voided in Xero: within a minute its page, the Billing API and the Reconcile page say so.
    voided = create_invoice(portal, key=key, store_id=store_id, number="MR-VOID-1", rate="20", price="9.00")
    wait_for(lambda: sync_state(portal, key=key, invoice_id=voided)["state"] == "in_xero", timeout=20,
             what="MR-VOID-1 in Xero")  # fmt: skip
    page.goto(f"{portal.url}/xero-sandbox/")
    page.get_by_role("link", name="Demo Company (UK)").first.click()
    page.get_by_role("row").filter(has_text="MR-VOID-1").get_by_role("button", name="Void").click()
    state = wait_for(
        lambda: s if str((s := sync_state(portal, key=key, invoice_id=voided)).get("changed_in_xero")) else {},
        timeout=60, what="MR-VOID-1 voided in Xero, in the Billing API",
    )  # fmt: skip
    assert str(state["changed_in_xero"]).startswith("Voided in Xero on ")
    page.goto(f"{portal.url}/stores/{store_id}/invoices/{voided}/")
    expect(page.locator(".xero-drift")).to_contain_text("Voided in Xero on ")
    page.goto(channel_url)
    expect(page.locator("#sync-drift-count")).to_have_text("1")
    page.get_by_role("link", name="Reconcile", exact=True).click()
    page.get_by_label("From", exact=True).fill(str(today - dt.timedelta(days=20)))
    page.get_by_label("To", exact=True).fill(str(today))
    page.get_by_role("button", name="Reconcile").click()
    expect(page.locator("#reconciliation-state")).to_have_text("Done", timeout=60_000)
    row = page.locator(".reconcile-differences tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("MR-VOID-1")
    expect(row).to_contain_text("Voided in Xero: the store followed Xero")
    shot("reconcile-page")
    row.get_by_role("button", name="Accept Xero's for MR-VOID-1").click()
    expect(page.get_by_role("status").filter(has_text="Xero's void acknowledged by demo.")).to_be_visible()
    expect(page.locator(".reconcile-differences tbody tr")).to_contain_text("Xero's void acknowledged by demo.")
    page.goto(channel_url)
    expect(page.locator("#sync-drift-count")).to_have_count(0)
    log = portal.log_text()
    for error in LOCK_ERRORS:
        assert error not in log, log[max(log.find(error) - 2000, 0) : log.find(error) + 500]

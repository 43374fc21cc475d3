"""The README's flow walked in Chromium on a `make run` (drills.make_run.portal): its browser test and its bench.

Each step is found by the label the README names and checked by the message a newcomer reads, so
the bench times the same walk the test asserts.
"""

from __future__ import annotations

import re
import time
from typing import Any

import requests
from playwright.sync_api import Page, expect

from drills.make_run.portal import LocalPortal, invoice_body

DEMO_USER = ("demo", "demo-password-2026")


def log_in(page: Page, portal: LocalPortal) -> None:
    page.goto(f"{portal.url}/")
    page.get_by_label("Username").fill(DEMO_USER[0])
    page.get_by_label("Password").fill(DEMO_USER[1])
    page.get_by_role("button", name="Log in").click()


def ten_steps(page: Page, portal: LocalPortal, *, channel_name: str = "UK books") -> tuple[int, float]:
    """Walk the README's flow by its labels on the demo's first store; return (store id, seconds Is Active took)."""
    page.get_by_role("link", name="Stores").click()
    page.get_by_role("row", name=re.compile("High Street Shop")).get_by_role("link", name="Edit").click()
    store_path = re.search(r"/stores/(\d+)/", page.url)
    assert store_path is not None, page.url
    store_id = int(store_path.group(1))
    page.get_by_role("link", name="Accounting Channel").click()
    page.get_by_role("link", name="+ Add").click()
    page.get_by_role("link", name=re.compile(r"^Xero")).click()
    page.get_by_label("Channel Name").fill(channel_name)
    page.get_by_label("Account Nominal Code").fill("200")
    page.get_by_label("Client ID").fill(portal.client_id)
    page.get_by_label("Client Secret").fill(portal.client_secret)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"“{channel_name}” was saved. Connect it to Xero next.")).to_be_visible()
    page.get_by_role("button", name="Connect").click()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_text("Congratulations! Your channel is now successfully connected.")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    started = time.monotonic()
    page.locator("label.toggle", has_text="Is Active").click()
    expect(page.get_by_text(f"“{channel_name}” is active: invoices and products are sent to Xero.")).to_be_visible()
    switched_on = time.monotonic() - started
    expect(page.get_by_label("Is Active")).to_be_checked()
    return store_id, switched_on


def api_key(page: Page, portal: LocalPortal, *, name: str) -> str:
    """Create a Billing API key on the API keys page and return it as shown once."""
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create key").click()
    return page.locator("#raw-key").input_value()


def create_invoice(
    portal: LocalPortal, *, key: str, store_id: int, number: str, rate: str, issue_date: str = "", price: str = "10.00"
) -> int:
    """Create an invoice through the Billing API, as a store system does; return its id."""
    answer = requests.post(
        f"{portal.url}/api/v1/stores/{store_id}/invoices/",
        json=invoice_body(number=number, rate=rate, issue_date=issue_date, price=price),
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def session_cookies(page: Page) -> dict[str, Any]:
    """The browser's session, for timing pages with plain HTTP."""
    return {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}

"""Drift and the Reconcile page, in a real browser against the sandbox over real HTTP.

An accountant edits an invoice in Xero after it was sent: its page says what Xero changed and
when, and the operator chooses "Store wins" (the store's version goes back to Xero). On the
Reconcile page a bad range is refused saying why (nothing saved, what was typed kept); a good one
runs in the background (the worker's turn runs here) and the page follows it to its result.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounting.checks.reconcile.run import reconciliation_run
from accounting.inbound.poll import channel_poll
from accounting.sync.models import Reconciliation
from stores.services import invoice_create
from tests.accounting.sync.conftest import clean_redis, connect_channel, sandbox, sandbox_org  # noqa: F401
from tests.accounting.sync.turns import drain, one_line
from tests.factories import StoreFactory
from xero_sandbox import testing

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sandbox", "clean_redis"),
]
DAY = dt.date(2026, 11, 2)


def test_an_invoice_edited_in_xero_says_so_and_store_wins_sends_it_back(logged_in_page, live_server, organization,
                                                                         shot):  # fmt: skip
    org = sandbox_org("Drift Books Ltd")
    store = StoreFactory.create(organization=organization, name="Drift Shop", currency="GBP")
    channel = connect_channel(org=org, store=store, name="Drift books")
    invoice = invoice_create(
        store=store, number="D-1", customer_name="Ada", customer_email="ada@example.com", issue_date=DAY,
        due_date=DAY, lines=one_line("Lamp", "12.00"),
    )  # fmt: skip
    drain(channel)
    testing.invoice_edit(organisation=org.tenant_id, invoice_number="D-1", unit_amount=Decimal("15.00"))
    channel_poll(channel_id=channel.pk)

    page = logged_in_page
    page.goto(f"{live_server.url}/stores/{store.pk}/invoices/{invoice.pk}/")
    drift = page.locator(".xero-drift")
    expect(drift).to_contain_text("Changed in Xero on ")
    expect(drift).to_contain_text("total 15.00 in Xero, 12.00 in the store")
    shot("changed-in-xero")
    page.get_by_role("button", name="Store wins for Drift books").click()
    expect(page.get_by_role("status")).to_contain_text("Store wins: the store's version is sent to Drift books again.")
    expect(page.locator(".xero-drift")).to_contain_text("(settled)")
    expect(page.get_by_role("button", name="Store wins for Drift books")).to_have_count(0)
    drain(channel)
    [held] = [i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == "D-1"]
    assert Decimal(str(held["Total"])) == Decimal("12.00")


def test_the_reconcile_page_refuses_a_bad_range_and_follows_a_good_one_to_its_result(
    logged_in_page, live_server, organization, shot
):
    org = sandbox_org("Reconcile Books Ltd")
    store = StoreFactory.create(organization=organization, name="Reconcile Shop", currency="GBP")
    channel = connect_channel(org=org, store=store, name="Reconcile books")
    invoice_create(
        store=store, number="RC-1", customer_name="Ada", customer_email="ada@example.com", issue_date=DAY,
        due_date=DAY, lines=one_line("Lamp", "12.00"),
    )  # fmt: skip
    drain(channel)
    page = logged_in_page
    page.goto(f"{live_server.url}/channels/{channel.pk}/")
    page.get_by_role("link", name="Reconcile", exact=True).click()

    page.get_by_label("From", exact=True).fill("2026-11-30")
    page.get_by_label("To", exact=True).fill("2026-11-01")
    page.get_by_role("button", name="Reconcile").click()
    expect(page.get_by_role("alert")).to_have_text("The range ends before it starts: 'to' must be on or after 'from'.")
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-11-30")
    assert not Reconciliation.objects.exists()

    page.get_by_label("From", exact=True).fill("2026-11-01")
    page.get_by_label("To", exact=True).fill("2026-11-30")
    page.get_by_role("button", name="Reconcile").click()
    expect(page.locator("#reconciliation-state")).to_have_text("Queued")
    expect(page.locator("#reconciliation-calls")).to_have_text("0 read of about 1 estimated")
    shot("queued")
    reconciliation_run(reconciliation_id=Reconciliation.objects.get().pk)  # the worker's turn

    expect(page.locator("#reconciliation-state")).to_have_text("Done", timeout=10_000)  # the page reloads itself
    expect(page.locator("#no-differences")).to_have_text(
        "No difference: Xero holds what the store says for these dates."
    )
    cells = page.locator(".reconcile-totals tbody tr").first.locator("td")
    expect(cells).to_have_text(["2026-11-02", "GBP", "12.00 / 12.00", "0.00 / 0.00", "0.00 / 0.00", "0.00 / 0.00"])
    expect(page.locator("#reconciliation-calls")).to_have_text("1 read of about 1 estimated")
    shot("done")

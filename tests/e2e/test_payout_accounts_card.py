"""The Payment accounts card's payout choices and the store's Payouts tab, in a real browser: an
operator chooses where a card gateway's payouts land and where its fees go, is told a reconnect adds
Xero's bank permission, and sees each payout with its state in Xero and the invoices it settles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounting.books.line_accounts import channel_chart_refresh
from stores.payments import payment_record
from stores.payouts import payout_record
from stores.services import invoice_create
from tests.accounting.sync.conftest import clean_redis, connect_channel, sandbox, sandbox_org  # noqa: F401
from tests.accounting.sync.turns import drain
from tests.factories import StoreFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sandbox", "clean_redis"),
]
DAY = dt.date(2026, 3, 2)


def test_an_operator_chooses_payout_accounts_and_reads_the_payouts_tab(logged_in_page, live_server, organization, shot):
    org = sandbox_org("Gateway Shop Ltd")
    store = StoreFactory.create(organization=organization, name="Gateway Shop", currency="GBP")
    channel = connect_channel(org=org, store=store, account_nominal_code="200")
    channel_chart_refresh(channel=channel)
    invoice = invoice_create(
        store=store, number="G-1", customer_name="Ada", customer_email="ada@example.com", issue_date=DAY,
        due_date=DAY, lines=[{"description": "Lamp", "quantity": Decimal("1"), "unit_price": Decimal("50"),
                              "tax_rate": Decimal("20")}],
    )  # fmt: skip
    payment = payment_record(invoice=invoice, amount=invoice.total, date=DAY, method="card")
    payout_record(store=store, reference="po_9Zk", method="card", currency="GBP", date=DAY, gross="60.00",
                  fees="1.10", net="58.90", payments=[payment.pk])  # fmt: skip
    page = logged_in_page
    page.goto(f"{live_server.url}/channels/{channel.pk}/")
    card = page.locator("#payment-accounts")
    card.get_by_role("button", name="Read accounts from Xero").click()
    expect(page.get_by_text("3 bank and payment accounts were read from Xero.")).to_be_visible()

    card = page.locator("#payment-accounts")
    card.get_by_label("Xero account for Default (any method)").select_option(label="Business Bank Account (090, Bank)")
    card.get_by_label("Xero account for card").select_option(label="Card Payments Clearing (605, Current)")
    card.get_by_label("Payout bank account for card").select_option(label="Business Bank Account (090, Bank)")
    card.get_by_label("Fees account for card").select_option(label="404 Bank Fees")
    card.get_by_role("button", name="Save payment accounts").click()
    expect(
        page.get_by_text("Choose the tax type of the fees of “card” (one of the organisation's purchase tax types).")
    ).to_be_visible()
    card = page.locator("#payment-accounts")
    expect(card.get_by_label("Fees account for card")).to_have_value("404")  # kept as typed
    card.get_by_label("Xero account for Default (any method)").select_option(label="Business Bank Account (090, Bank)")
    card.get_by_label("Xero account for card").select_option(label="Card Payments Clearing (605, Current)")
    card.get_by_label("Payout bank account for card").select_option(label="Business Bank Account (090, Bank)")
    card.get_by_label("Fees tax type for card").select_option(label="Exempt Expenses (EXEMPTINPUT)")
    card.get_by_role("button", name="Save payment accounts").click()
    expect(page.get_by_text("The payment accounts were saved.")).to_be_visible()
    expect(page.locator(".payouts-reconnect")).to_contain_text("Reconnect to allow payouts.")
    shot("payout-accounts-saved")

    drain(channel)
    page.goto(f"{live_server.url}/stores/{store.pk}/payouts/")
    row = page.get_by_role("row").filter(has_text="po_9Zk")
    expect(row.get_by_role("link", name="G-1")).to_be_visible()
    expect(row.locator(".sync-badges .badge")).to_have_text("Pending")
    reason = (
        f"{channel.name}: Reconnect to allow payouts: sending them needs Xero's “accounting.banktransactions” "
        "permission, which this channel's connection does not have. Connect again (the channel keeps its "
        "history); payouts wait until then."
    )
    expect(row.locator(".sync-badges .badge")).to_have_attribute("title", reason)
    shot("payouts-tab")
    row.get_by_role("link", name="G-1").click()
    expect(page.get_by_role("link", name="po_9Zk")).to_be_visible()

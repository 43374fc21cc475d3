"""The channel page's Tax mapping card in a real browser: an operator chooses the Xero tax type
of a rate that has several, and the invoice that waited for it goes to Xero with it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from stores.services import invoice_create
from tests.accounting.sync.conftest import clean_redis, connect_channel, sandbox, sandbox_org  # noqa: F401
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sandbox", "clean_redis"),
]
ZERO_ROW = re.compile(r"^0% Goods")


def invoice_at(channel, *, number: str, rates: list[str]):
    lines = [
        {"description": f"Line at {r}%", "quantity": Decimal("1"), "unit_price": Decimal("10"), "tax_rate": Decimal(r)}
        for r in rates
    ]
    return invoice_create(
        store=channel.store, number=number, customer_name="Ada Lovelace", customer_email="",
        issue_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 4, 1), lines=lines,
    )  # fmt: skip


def test_choosing_the_zero_rate_type_sends_the_invoice_that_waited(logged_in_page, live_server, organization, shot):
    org = sandbox_org("Card Books Ltd")
    channel = connect_channel(
        org=org, store=StoreFactory.create(organization=organization), tax_mapping={"20": "OUTPUT2"}
    )
    invoice = invoice_at(channel, number="E-1", rates=["20", "0"])
    drain(channel)
    page = logged_in_page

    page.goto(f"{live_server.url}/stores/{channel.store_id}/invoices/")
    badge = page.get_by_role("row").filter(has_text="E-1").locator(".sync-badges .badge")
    expect(badge).to_have_text("Waiting for a choice")
    expect(badge).to_have_attribute(
        "title",
        f"{channel.name}: No Xero tax type is mapped for 0% on this channel: choose one under Tax mapping on the "
        "channel page.",
    )
    shot("invoice-waiting")
    page.goto(f"{live_server.url}/channels/{channel.pk}/")
    card = page.locator("#tax-mapping")
    expect(card.get_by_role("row", name=ZERO_ROW)).to_contain_text(
        "Choose one: invoices with lines at this rate wait for it."
    )
    expect(page.locator("#sync-waiting-for")).to_contain_text(
        "1 invoice waits for Tax mapping: choose there and save, and they are sent."
    )
    card.get_by_label("Xero tax type for 0% (Goods)").select_option(label="Zero Rated Income (ZERORATEDOUTPUT)")
    shot("tax-mapping-chosen")
    card.get_by_role("button", name="Save tax mapping").click()

    expect(
        page.get_by_text("The tax mapping was saved. 1 invoice that waited for it was queued again.")
    ).to_be_visible()
    expect(card.get_by_role("row", name=ZERO_ROW)).to_contain_text("Chosen by the operator")
    shot("tax-mapping-saved")
    drain(channel)
    [sent] = testing.invoices(organisation=org.tenant_id)
    assert [line["TaxType"] for line in sent["LineItems"]] == ["OUTPUT2", "ZERORATEDOUTPUT"]
    assert row_of(channel, invoice).state == "synced"
    page.goto(f"{live_server.url}/stores/{channel.store_id}/invoices/")
    expect(page.get_by_role("row").filter(has_text="E-1").locator(".sync-badges .badge")).to_have_text("In Xero")
    shot("invoice-in-xero")

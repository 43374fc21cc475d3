"""The channel page's Posting and Tracking cards and a daily summary's page, in a real browser: an
operator reads the tracking categories, picks the store's option, switches to one summary invoice
per day (a switch that would post a day both ways is refused, saying from when it could start), and
the closed day's invoices reach Xero as one tracked summary, whose page lists them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounting.books.line_accounts import channel_chart_refresh, channel_line_accounts_set
from stores.services import invoice_create
from tests.accounting.sync.conftest import clean_redis, connect_channel, sandbox, sandbox_org  # noqa: F401
from tests.accounting.sync.turns import drain
from tests.factories import StoreFactory
from xero_sandbox import testing

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sandbox", "clean_redis"),
]
SENT_DAY = dt.date(2026, 3, 2)
DAY = dt.date(2026, 3, 3)


def sale(channel, number: str, price: str, day: dt.date):
    line = {"description": "Tea", "quantity": Decimal("3"), "unit_price": Decimal(price), "tax_rate": Decimal("20")}
    return invoice_create(
        store=channel.store, number=number, customer_name=f"Buyer {number}", customer_email=f"{number}@example.com",
        issue_date=day, due_date=day, lines=[line],
    )  # fmt: skip


def test_an_operator_sets_tracking_and_posting_and_reads_the_days_summary(
    logged_in_page, live_server, organization, shot
):
    org = sandbox_org("Tea Rooms Ltd")
    testing.tracking_category_add(organisation=org.tenant_id, name="Region", options=["North", "South"])
    store = StoreFactory.create(organization=organization, name="Tea Rooms", currency="GBP")
    channel = connect_channel(org=org, store=store, account_nominal_code="200")
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={"rounding_account": "860", "discount_mode": "line"})
    sale(channel, "TR-0", "1.00", SENT_DAY)
    drain(channel)  # 2 March went one by one
    page = logged_in_page
    page.goto(f"{live_server.url}/channels/{channel.pk}/")

    tracking = page.locator("#tracking")
    tracking.get_by_role("button", name="Read tracking categories from Xero").click()
    expect(page.get_by_text("1 tracking category was read from Xero.")).to_be_visible()
    tracking.get_by_label("Tracking option").select_option(label="Region: North")
    tracking.get_by_role("button", name="Save tracking").click()
    expect(page.get_by_text("Tracking saved: the lines sent from now on carry it.")).to_be_visible()
    shot("tracking-saved")

    posting = page.locator("#posting")
    expect(posting.locator(".posting-now")).to_have_text("Now: One Xero invoice per store invoice.")
    posting.get_by_label("Posting").select_option(label="One summary invoice per day")
    posting.get_by_label("From (store day)").fill(SENT_DAY.isoformat())
    posting.get_by_label("Summary contact").fill("Tea Rooms takings")
    posting.get_by_role("button", name="Save posting").click()
    expect(page.get_by_role("alert").filter(has_text="already sent")).to_have_text(
        "Invoice TR-0 of 02 Mar 2026 was already sent to Xero as its own invoice: summaries can start on "
        "03 Mar 2026 at the earliest."
    )
    expect(page.get_by_label("Summary contact")).to_have_value("Tea Rooms takings")
    shot("posting-refused")
    page.get_by_label("From (store day)").fill(DAY.isoformat())
    page.get_by_role("button", name="Save posting").click()
    expect(page.get_by_text("Posting saved: One summary invoice per day from 03 Mar 2026.")).to_be_visible()
    expect(page.locator("#posting .posting-now")).to_have_text("Now: One summary invoice per day.")

    numbers = [f"TR-{n}" for n in range(1, 6)]
    invoices = [sale(channel, number, f"{n}.33", DAY) for n, number in enumerate(numbers, start=1)]
    drain(channel)
    held = {i["InvoiceNumber"]: i for i in testing.invoices(organisation=org.tenant_id)}
    assert sorted(held) == ["DAY-20260303-GBP", "TR-0"]
    summary = held["DAY-20260303-GBP"]
    assert Decimal(str(summary["Total"])).quantize(Decimal("0.01")) == sum(i.total for i in invoices)
    assert summary["Contact"]["Name"] == "Tea Rooms takings"
    assert {(t["Name"], t["Option"]) for line in summary["LineItems"] for t in line["Tracking"]} == {
        ("Region", "North")
    }
    assert all(line["Tracking"] for line in summary["LineItems"])

    page.reload()
    page.locator("#posting").get_by_role("link", name="3 Mar 2026").click()
    expect(page.get_by_role("heading", name="Daily summary of 3 Mar 2026 (GBP)")).to_be_visible()
    expect(page.locator("#summary-state")).to_have_text("In Xero")
    expect(page.locator("#summary-count")).to_have_text("5")
    expect(page.locator(".summary-invoices tbody tr")).to_have_count(5)
    for number in numbers:
        expect(page.locator(".summary-invoices").get_by_role("link", name=number, exact=True)).to_be_visible()
    shot("summary-page")
    page.locator(".summary-invoices").get_by_role("link", name="TR-3", exact=True).click()
    expect(page.locator("#xero .badge")).to_have_text("In daily summary")
    page.get_by_role("link", name=re.compile(r"^DAY-20260303-GBP \(03 Mar 2026\)$")).click()
    expect(page.get_by_role("heading", name="Daily summary of 3 Mar 2026 (GBP)")).to_be_visible()

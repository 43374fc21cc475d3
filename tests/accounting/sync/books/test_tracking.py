"""Tracking categories per store: read from Xero, one option chosen (and another per country), and
every line the channel sends carries it, one by one and in a daily summary; an option archived in
Xero meanwhile fails the invoice with Xero's reason; bad choices are refused with nothing saved.

Real sandbox over HTTP; the card through Django's test client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounting.books.line_accounts import channel_chart_refresh, channel_line_accounts_set
from accounting.books.tracking import channel_tracking_read, channel_tracking_set, tracking_of
from accounting.models import PostingMode
from accounting.services.posting import PostingChoice, channel_posting_set
from accounting.sync.models import SyncState
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory
from xero_sandbox import testing
from xero_sandbox.models.tracking import TrackingOption

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def region(org):
    return testing.tracking_category_add(organisation=org.tenant_id, name="Region", options=["North", "South"])


@pytest.fixture
def channel(org, organization, region):
    store = StoreFactory.create(organization=organization, currency="GBP", name="Corner Shop")
    return connect_channel(org=org, store=store, account_nominal_code="200")


def option_value(region: dict, name: str) -> str:
    option = next(o for o in region["Options"] if o["Name"] == name)
    return f"{region['TrackingCategoryID']}:{option['TrackingOptionID']}"


def sale(channel, number: str, *, country: str = "", lines: int = 2):
    return invoice_create(
        store=channel.store, number=number, customer_name=f"Buyer {number}", customer_email=f"{number}@example.com",
        customer_country=country, issue_date=DAY, due_date=DAY,
        lines=[{"description": f"Item {n}", "quantity": Decimal("1"), "unit_price": Decimal("10.01"),
                "tax_rate": Decimal("20")} for n in range(lines)],
    )  # fmt: skip


def trackings(org, number: str) -> list[list[tuple[str, str]]]:
    invoice = next(i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == number)
    return [[(t["Name"], t["Option"]) for t in line["Tracking"]] for line in invoice["LineItems"]]


def test_every_line_carries_the_stores_option_or_its_countrys(org, channel, region):
    assert channel_tracking_read(channel=channel) == 1
    channel_tracking_set(channel=channel, values={"option": option_value(region, "North"), "by_country": "fr = South"})
    sale(channel, "T-1")
    sale(channel, "T-2", country="FR")
    drain(channel)

    assert trackings(org, "T-1") == [[("Region", "North")], [("Region", "North")]]
    assert trackings(org, "T-2") == [[("Region", "South")], [("Region", "South")]]


def test_a_daily_summary_carries_it_on_every_line_rounding_included(org, channel, region):
    channel_tracking_read(channel=channel)
    channel_tracking_set(channel=channel, values={"option": option_value(region, "South"), "by_country": ""})
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={"rounding_account": "860", "discount_mode": "line"})
    channel_posting_set(channel=channel, choice=PostingChoice(mode=PostingMode.DAILY_SUMMARY, starts_on=DAY))
    for n in range(3):
        sale(channel, f"S-{n}", lines=3)
    drain(channel)

    lines = trackings(org, "DAY-20260302-GBP")
    assert len(lines) == 2, "the sales line and the rounding line (Xero's tax on the sum differs by a cent)"
    assert lines == [[("Region", "South")]] * 2


def test_an_option_archived_in_xero_fails_the_invoice_with_xeros_reason(org, channel, region):
    channel_tracking_read(channel=channel)
    channel_tracking_set(channel=channel, values={"option": option_value(region, "North"), "by_country": ""})
    TrackingOption.objects.filter(name="North", category__organisation__tenant_id=org.tenant_id).update(
        status="ARCHIVED"
    )  # archived in Xero after the choice
    invoice = sale(channel, "T-9")
    drain(channel)

    row = row_of(channel, invoice)
    assert row.state == SyncState.FAILED
    north = option_value(region, "North").split(":")[1]
    assert row.last_error == (
        f"There is no ACTIVE tracking option with the ID '{north}' in the tracking category 'Region'; The tracking "
        "option chosen for this channel is no longer active in Xero: read the tracking categories again under "
        "Tracking on the channel page, choose an active option, then retry."
    )


def test_the_card_reads_saves_and_refuses_bad_choices_keeping_what_was_typed(member_client, channel, region):
    url = reverse("accounting:channel-tracking", args=[channel.pk])
    before = member_client.get(reverse("accounting:channel-detail", args=[channel.pk])).content.decode()
    assert "The organisation's tracking categories have not been read from Xero yet." in before

    read = member_client.post(url, {"refresh": ""}, follow=True).content.decode()
    assert "1 tracking category was read from Xero." in read
    assert '<optgroup label="Region">' in read

    refused = member_client.post(
        url, {"save": "", "option": option_value(region, "North"), "by_country": "FR = East\nGB North"}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    problems = "Region has no active option “East”. “GB North” is not “<country> = <option>”."
    assert f'id="error_by_country">{escape(problems)}</p>' in html
    assert "FR = East\nGB North</textarea>" in html
    assert tracking_of(channel=channel).option_id == ""

    unknown = member_client.post(url, {"save": "", "option": "nope:nope", "by_country": ""})
    assert unknown.status_code == 400
    assert "That tracking option is not among the active ones last read from Xero." in unknown.content.decode()

    saved = member_client.post(url, {"save": "", "option": option_value(region, "North"), "by_country": "FR = South"})
    assert saved.status_code == 302
    row = tracking_of(channel=channel)
    assert (row.category_name, row.option_name, row.by_country["fr"]["option_name"]) == ("Region", "North", "South")

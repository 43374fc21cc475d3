"""The channel page's "Posting" card, a daily summary's page, the invoice page's link to its summary,
and the Billing API's view of both: refusals keep what was typed and save nothing; another
organization's summary is a 404.

Real sandbox over HTTP; the pages through Django's test client; the API with a real key.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from accounting.books.line_accounts import channel_chart_refresh, channel_line_accounts_set
from accounting.models import PostingMode
from accounting.services.posting import PostingChoice, channel_posting_set
from accounting.sync.models import DailySummary
from organizations.api_keys import api_key_create
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain
from tests.factories import OrganizationFactory, StoreFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def channel(org, organization):
    store = StoreFactory.create(organization=organization, currency="GBP", name="Corner Shop")
    return connect_channel(org=org, store=store, account_nominal_code="200")


@pytest.fixture
def api(organization):
    _, raw = api_key_create(organization=organization, name="Till", created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def sale(channel, number: str, price: str, *, day: dt.date = DAY):
    line = {"description": "Tea", "quantity": Decimal("1"), "unit_price": Decimal(price), "tax_rate": Decimal("20")}
    return invoice_create(
        store=channel.store, number=number, customer_name="Ada", customer_email="ada@example.com", issue_date=day,
        due_date=day, lines=[line],
    )  # fmt: skip


def posting_form(**values: str) -> dict[str, str]:
    return {"posting": PostingMode.DAILY_SUMMARY, "posting_from": DAY.isoformat(), "summary_contact_name": "",
            "summary_grace_minutes": "30", **values}  # fmt: skip


def test_a_refused_switch_says_why_keeps_what_was_typed_and_saves_nothing(member_client, channel):
    sale(channel, "W-1", "10.00")
    drain(channel)
    url = reverse("accounting:channel-posting", args=[channel.pk])

    refused = member_client.post(url, posting_form(summary_contact_name="Corner Shop takings"))

    assert refused.status_code == 400
    html = refused.content.decode()
    message = (
        "Invoice W-1 of 02 Mar 2026 was already sent to Xero as its own invoice: summaries can start on "
        "03 Mar 2026 at the earliest."
    )
    assert f'id="error_posting_from">{escape(message)}</p>' in html
    assert 'value="Corner Shop takings"' in html
    channel.refresh_from_db()
    assert channel.summary_contact_name == "" and not channel.posting_periods.exists()

    for values, field, text in (
        ({"posting_from": "3/3/2026"}, "posting_from", "Enter the first day as YYYY-MM-DD."),
        ({"summary_grace_minutes": "-5"}, "summary_grace_minutes", "Use 0 to 1440 minutes."),
        ({"posting": "weekly"}, "posting", "Choose how invoices are posted to Xero."),
    ):
        answer = member_client.post(url, posting_form(**values))
        assert answer.status_code == 400
        assert f'id="error_{field}">{escape(text)}</p>' in answer.content.decode()
    assert not channel.posting_periods.exists()

    saved = member_client.post(url, posting_form(posting_from="2026-03-03"), follow=True)
    assert "Posting saved: One summary invoice per day from 03 Mar 2026." in saved.content.decode()
    assert list(channel.posting_periods.values_list("mode", "starts_on")) == [
        (PostingMode.DAILY_SUMMARY, dt.date(2026, 3, 3))
    ]


def test_the_summary_page_lists_its_invoices_each_links_to_it_and_the_api_says_the_same(
    member_client, api, channel, organization
):
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={"rounding_account": "860", "discount_mode": "line"})
    channel_posting_set(channel=channel, choice=PostingChoice(mode=PostingMode.DAILY_SUMMARY, starts_on=DAY))
    first, second = sale(channel, "D-1", "10.00"), sale(channel, "D-2", "2.50")
    drain(channel)
    summary = DailySummary.objects.get(channel=channel)

    channel_page = member_client.get(reverse("accounting:channel-detail", args=[channel.pk])).content.decode()
    summary_url = reverse("accounting:channel-summary", args=[channel.pk, summary.pk])
    assert f'<a href="{summary_url}">2 Mar 2026</a>' in channel_page
    page = member_client.get(summary_url).content.decode()
    assert '<span class="badge badge-ok" data-sync="in_xero" id="summary-state">In Xero</span>' in page
    assert '<dd id="summary-total">15.00 GBP</dd>' in page
    for invoice in (first, second):
        invoice_url = reverse("stores:invoice-detail", args=[channel.store_id, invoice.pk])
        assert f'<a href="{invoice_url}">{invoice.number}</a>' in page
        invoice_page = member_client.get(invoice_url).content.decode()
        assert f'<a href="{summary_url}">DAY-20260302-GBP (02 Mar 2026)</a>' in invoice_page

    answer = api.get(f"/api/v1/invoices/{first.pk}/").json()
    assert (answer["sync"][0]["state"], answer["sync"][0]["summary"]) == ("in_summary", summary.pk)
    held = api.get(f"/api/v1/summaries/{summary.pk}/").json()
    assert (held["number"], held["state"], held["total"]) == ("DAY-20260302-GBP", "in_xero", "15.00")
    assert sorted(entry["number"] for entry in held["invoices"]) == ["D-1", "D-2"]

    # Another organization's member and key see nothing of it.
    rival = OrganizationFactory.create(name="Rival Trading")
    _, rival_key = api_key_create(organization=rival, name="Rival", created_by=None)
    rival_api = APIClient()
    rival_api.credentials(HTTP_AUTHORIZATION=f"Bearer {rival_key}")
    assert rival_api.get(f"/api/v1/summaries/{summary.pk}/").status_code == 404
    other_channel_url = reverse("accounting:channel-summary", args=[channel.pk + 1000, summary.pk])
    assert member_client.get(other_channel_url).status_code == 404


def test_the_admin_shows_a_summary_with_its_entries_read_only(admin_client, channel):
    channel_chart_refresh(channel=channel)
    channel_line_accounts_set(channel=channel, values={"rounding_account": "860", "discount_mode": "line"})
    channel_posting_set(channel=channel, choice=PostingChoice(mode=PostingMode.DAILY_SUMMARY, starts_on=DAY))
    sale(channel, "AD-1", "4.00")
    drain(channel)
    summary = DailySummary.objects.get(channel=channel)

    page = admin_client.get(reverse("admin:accounting_sync_dailysummary_change", args=[summary.pk])).content.decode()
    assert "DAY-20260302-GBP" in page and "AD-1" in page
    assert admin_client.get(reverse("admin:accounting_sync_dailysummary_add")).status_code == 403

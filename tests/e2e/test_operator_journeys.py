"""Operator journeys in a real browser against the sandbox over HTTP: an invoice sent through the
Billing API shows "In Xero" on the invoice list once a real Celery worker sent it; the pre-flight
keeps "Is Active" off for a bad account code until the code is fixed. Screenshots of each step go
to the artifacts folder (see `conftest.shot`)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from accounting.models import AccountingChannel
from organizations.api_keys import api_key_create
from tests.accounting.sync.conftest import (  # noqa: F401
    celery_worker,
    clean_redis,
    connect_channel,
    sandbox,
    sandbox_org,
)
from tests.factories import StoreFactory
from xero_sandbox import testing

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("celery_worker")
def test_an_invoice_sent_through_the_billing_api_shows_in_xero_on_the_invoice_list(
    logged_in_page, live_server, organization, shot
):
    org = sandbox_org("Api Books Ltd")
    store = StoreFactory.create(organization=organization, name="High Street", currency="GBP")
    connect_channel(org=org, store=store, name="UK books", account_nominal_code="200")
    _, raw_key = api_key_create(organization=organization, name="Shop connector", created_by=None)

    answer = requests.post(
        f"{live_server.url}/api/v1/stores/{store.pk}/invoices/",
        json={
            "number": "API-1", "customer_name": "Ada Lovelace", "customer_email": "ada@example.com",
            "issue_date": "2026-11-02", "due_date": "2026-12-02",
            "lines": [{"description": "Tea", "quantity": "2", "unit_price": "3.50", "tax_rate": "20"}],
        },
        headers={"Authorization": f"Bearer {raw_key}"},
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == 201, answer.text

    page = logged_in_page
    page.goto(f"{live_server.url}/stores/{store.pk}/invoices/")
    badge = page.get_by_role("row").filter(has_text="API-1").locator(".sync-badges .badge")
    shot("invoice-list-after-api")
    for _ in range(40):  # the worker sends it within seconds; the operator reloads
        if badge.inner_text() == "In Xero":
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(badge).to_have_text("In Xero")
    shot("invoice-in-xero")
    assert [i["InvoiceNumber"] for i in testing.invoices(organisation=org.tenant_id)] == ["API-1"]


@pytest.mark.usefixtures("sandbox", "clean_redis")
def test_the_pre_flight_keeps_is_active_off_for_a_bad_account_code_until_it_is_fixed(
    logged_in_page, live_server, organization, shot
):
    org = sandbox_org("Preflight Books Ltd")
    store = StoreFactory.create(organization=organization, name="High Street", currency="GBP")
    channel = connect_channel(
        org=org, store=store, name="UK books", account_nominal_code="999", is_active=False,
        scopes="offline_access accounting.invoices accounting.contacts accounting.settings",
    )  # fmt: skip
    page = logged_in_page
    page.goto(f"{live_server.url}/channels/{channel.pk}/")

    page.locator("label.toggle", has_text="Is Active").click()

    expect(page.get_by_text(re.compile("^Pre-flight failed, so the channel was not switched on."))).to_be_visible()
    expect(page.get_by_label("Is Active")).not_to_be_checked()
    row = page.locator("#preflight").get_by_role("row", name=re.compile("^Account Nominal Code"))
    expect(row).to_contain_text("Account 999 does not exist in Xero")
    expect(row).to_contain_text("enter the code of an active revenue account under Account Nominal Code")
    shot("pre-flight-blocked")
    assert AccountingChannel.objects.get(pk=channel.pk).is_active is False

    page.get_by_label("Account Nominal Code").fill("200")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The channel settings were saved.")).to_be_visible()
    page.locator("label.toggle", has_text="Is Active").click()

    expect(page.get_by_text("“UK books” is active: invoices and products are sent to Xero.")).to_be_visible()
    expect(page.get_by_label("Is Active")).to_be_checked()
    expect(page.locator("#preflight")).to_contain_text("passed")
    shot("pre-flight-passed")

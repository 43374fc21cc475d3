"""In a real browser: an invoice sent to the sandbox by a sync turn shows "In Xero", with its
link into Xero, on the store's invoice list and its Xero id on the invoice's page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from accounting.sync.models import SyncState
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, row_of
from tests.factories import StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_synced_invoice_shows_in_xero_with_its_link(org, logged_in_page, live_server, organization):
    store = StoreFactory.create(organization=organization, name="High Street", currency="GBP")
    channel = connect_channel(org=org, store=store, name="UK books")
    line = {"description": "Tea", "quantity": Decimal("2"), "unit_price": Decimal("3.50"), "tax_rate": Decimal("20")}
    invoice = invoice_create(
        store=store, number="INV-100", customer_name="Bo Peep", customer_email="bo@example.com",
        issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2), lines=[line],
    )  # fmt: skip
    drain(channel)
    row = row_of(channel, invoice)
    assert row.state == SyncState.SYNCED and row.xero_id

    page = logged_in_page
    page.goto(f"{live_server.url}/stores/{store.pk}/invoices/")
    listed = page.get_by_role("row").filter(has_text="INV-100")
    assert listed.locator(".sync-badges .badge").inner_text() == "In Xero"
    link = listed.get_by_role("link", name="Open in Xero (UK books)")
    assert link.get_attribute("href") == f"{live_server.url}/xero-sandbox/organisations/{org.tenant_id}/"

    listed.get_by_role("link", name="INV-100").click()
    page.wait_for_url(re.compile(rf"/stores/{store.pk}/invoices/{invoice.pk}/$"))
    section = page.get_by_role("region", name="Xero")
    assert section.locator(".xero-id").inner_text() == row.xero_id
    assert section.get_by_role("cell", name="Accepted by Xero", exact=True).count() == 1

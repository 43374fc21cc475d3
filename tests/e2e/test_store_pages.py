"""The store pages in a real browser: menu, list, pen icon, the store page's tabs, a product."""

from __future__ import annotations

import re

import pytest

from accounting.models import ConnectionState
from tests.factories import AccountingChannelFactory, InvoiceFactory, ProductFactory, StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_stores_menu_list_pen_icon_and_the_five_tabs(logged_in_page, live_server, organization):
    page = logged_in_page
    store = StoreFactory.create(organization=organization, name="High Street Shop", platform="shopify", currency="GBP")
    AccountingChannelFactory.create(store=store, connection_state=ConnectionState.CONNECTED, is_active=True)
    StoreFactory.create(organization=organization, name="Online Outlet")
    StoreFactory.create(name="Not Ours")

    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Stores").click()
    assert page.get_by_role("heading", name="Stores").is_visible()
    rows = page.get_by_role("row")
    assert rows.count() == 3  # header + our two stores, not the other organization's
    row = page.get_by_role("row").filter(has_text="High Street Shop")
    assert row.get_by_role("cell").nth(1).inner_text() == "Shopify"
    assert row.get_by_role("cell").nth(2).inner_text() == "GBP"
    assert row.get_by_role("cell").nth(3).inner_text().strip() == "Xero · Connected · Active"
    assert (
        page.get_by_role("row").filter(has_text="Online Outlet").get_by_role("cell").nth(3).inner_text().strip()
        == "None"
    )

    row.get_by_role("link", name="Edit").click()
    page.wait_for_url(re.compile(rf"/stores/{store.pk}/$"))
    assert page.get_by_role("heading", name="High Street Shop", level=1).is_visible()
    tabs = page.get_by_role("navigation", name="Store").get_by_role("link")
    assert tabs.all_inner_texts() == ["Details", "Accounting Channel", "Products", "Invoices", "Payouts"]
    assert page.get_by_role("link", name="Details").get_attribute("aria-current") == "page"
    assert page.get_by_label("Name").input_value() == "High Street Shop"


def test_products_and_invoices_tabs_in_the_browser(logged_in_page, live_server, organization):
    page = logged_in_page
    store = StoreFactory.create(organization=organization, name="High Street Shop")
    ProductFactory.create(store=store, sku="MUG", name="Logo mug")
    InvoiceFactory.create(store=store, number="INV-9", lines=2)

    page.goto(f"{live_server.url}/stores/{store.pk}/")
    page.get_by_role("link", name="Products").click()
    page.get_by_role("link", name="+ Add product").click()
    page.get_by_label("SKU").fill("TOTE")
    page.get_by_label("Name").fill("Canvas tote")
    page.get_by_label("Unit price").fill("12.00")
    page.get_by_role("button", name="Create product").click()
    assert page.get_by_role("status").inner_text() == "Product TOTE created."
    assert page.get_by_role("cell", name="Canvas tote").is_visible()

    page.get_by_role("link", name="Invoices").click()
    page.get_by_role("link", name="INV-9").click()
    assert page.locator('[data-total="total"]').inner_text() == "60.00"


def test_the_organization_switcher_changes_the_store_list(logged_in_page, live_server, organization, member):
    from tests.factories import MembershipFactory, OrganizationFactory

    other = OrganizationFactory.create(name="Zeta Goods")
    MembershipFactory.create(user=member, organization=other)
    StoreFactory.create(organization=organization, name="Acme Store")
    StoreFactory.create(organization=other, name="Zeta Store")
    page = logged_in_page
    page.goto(f"{live_server.url}/stores/")
    assert page.get_by_role("cell", name="Acme Store").is_visible()
    page.get_by_label("Organization").select_option(label="Zeta Goods")
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Now working in Zeta Goods."
    assert page.get_by_role("cell", name="Zeta Store").is_visible()
    assert page.get_by_role("cell", name="Acme Store").count() == 0

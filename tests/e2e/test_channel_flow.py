"""The seed flow in a real browser, with the labels users follow in the documentation.

Stores → pen icon in "Actions" → "Accounting Channel" → "+ Add" → "Xero" → form → "Save" →
"Connect" → (Xero) "Allow access" → "Congratulations!" → "Continue" → "Is Active".
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounting.models import AccountingChannel, ConnectionState
from tests.accounting.sandbox import sandbox_app, sandbox_app_tier_set, sandbox_org
from tests.factories import StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def xero_app(xero_sandbox, live_server, member):
    # The browser is signed in as `member` (logged_in_page): Xero's consent page offers its organisations.
    sandbox_org("Demo Company (UK)", users=[member])
    return sandbox_app(redirect_uri=f"{live_server.url}/xero/callback/", name="High Street portal")


def open_channel_form(page, live_server):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Stores").click()
    page.get_by_role("row", name=re.compile("High Street Shop")).get_by_role("link", name="Edit").click()
    page.get_by_role("link", name="Accounting Channel").click()
    page.get_by_role("link", name="+ Add").click()
    page.get_by_role("link", name=re.compile(r"^Xero")).click()


def switch_on(page, label: str) -> None:
    """Click a toggle switch as a user does (on its label: the drawn switch covers the checkbox)."""
    page.locator("label.toggle", has_text=label).click()
    expect(page.get_by_label(label)).to_be_checked()


def fill_and_save(page, app, name="UK books"):
    page.get_by_label("Channel Name").fill(name)
    page.get_by_label("Account Nominal Code").fill("200")
    page.get_by_label("Client ID").fill(app["client_id"])
    page.get_by_label("Client Secret").fill(app["client_secret"])
    switch_on(page, "Add Products to Xero")
    switch_on(page, "Create Nonexistent Products")
    page.get_by_role("button", name="Save").click()


def test_operator_connects_a_store_to_xero_and_switches_it_on(
    logged_in_page, live_server, organization, xero_app, shot
):
    StoreFactory.create(organization=organization, name="High Street Shop")
    page = logged_in_page
    open_channel_form(page, live_server)
    expect(page.locator("#xero-redirect-uri")).to_have_text(f"{live_server.url}/xero/callback/")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    shot("channel-form")
    fill_and_save(page, xero_app)
    expect(page.get_by_text("“UK books” was saved. Connect it to Xero next.")).to_be_visible()
    expect(page.get_by_label("Is Active")).to_be_disabled()
    shot("saved")

    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="High Street portal wants access to your Xero data")).to_be_visible()
    # Xero's consent page knows the signed-in user and offers only that user's organisations.
    expect(page.get_by_text("Signed in as operator")).to_be_visible()
    expect(page.get_by_label("Demo Company (UK)")).to_be_checked()
    shot("xero-consent")
    page.get_by_role("button", name="Allow access").click()

    expect(page.get_by_text("Congratulations! Your channel is now successfully connected.")).to_be_visible()
    shot("congratulations")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile("UK books"))).to_be_visible()
    expect(page.get_by_text("Connected", exact=True).first).to_be_visible()
    shot("connected")

    page.locator("label.toggle", has_text="Is Active").click()
    expect(page.get_by_text("“UK books” is active: invoices and products are sent to Xero.")).to_be_visible()
    expect(page.get_by_label("Is Active")).to_be_checked()
    # The pre-flight ran against the organisation before switching on, and its card says so.
    preflight = page.locator("#preflight")
    expect(preflight).to_contain_text("passed")
    expect(preflight.get_by_role("row", name=re.compile("^Account Nominal Code"))).to_contain_text(
        "Account 200 “Sales” (SALES, REVENUE) suits sales lines"
    )
    shot("active")

    channel = AccountingChannel.objects.get(store__name="High Street Shop")
    assert (channel.connection_state, channel.is_active) == (ConnectionState.CONNECTED, True)
    assert (channel.tenant_name, channel.account_nominal_code) == ("Demo Company (UK)", "200")
    assert (channel.add_products, channel.create_nonexistent_products) == (True, True)
    assert xero_app["client_secret"] not in page.content()

    # Back on the tab, the list shows the organisation, the state and the switch.
    page.get_by_role("link", name="Accounting Channel").click()
    row = page.get_by_role("row", name=re.compile("UK books"))
    expect(row).to_contain_text("Demo Company (UK)")
    expect(row.get_by_label("Is Active: UK books")).to_be_checked()


def test_cancel_on_xero_comes_back_with_a_message(logged_in_page, live_server, organization, xero_app, shot):
    StoreFactory.create(organization=organization, name="High Street Shop")
    page = logged_in_page
    open_channel_form(page, live_server)
    fill_and_save(page, xero_app)
    page.get_by_role("button", name="Connect").click()
    shot("xero-consent")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Xero access was not granted. The channel was not changed.")).to_be_visible()
    expect(page.get_by_text("Not connected", exact=True).first).to_be_visible()
    expect(page.get_by_label("Is Active")).to_be_disabled()
    shot("cancelled")
    assert AccountingChannel.objects.get().connection_state == ConnectionState.NOT_CONNECTED


def test_two_organisations_authorised_in_one_consent_are_picked_from(
    logged_in_page, live_server, organization, member, xero_app
):
    sandbox_org("Northwind Traders Ltd", users=[member])
    # Xero connects several organisations in one consent only for apps on the Advanced tier.
    sandbox_app_tier_set(client_id=xero_app["client_id"], tier="advanced")
    StoreFactory.create(organization=organization, name="High Street Shop")
    page = logged_in_page
    open_channel_form(page, live_server)
    fill_and_save(page, xero_app)
    page.get_by_role("button", name="Connect").click()
    page.get_by_label("Northwind Traders Ltd").check()  # Demo Company (UK) is ticked already
    page.get_by_role("button", name="Allow access").click()

    expect(page.get_by_role("heading", name="Choose the Xero organisation")).to_be_visible()
    page.get_by_label("Northwind Traders Ltd").check()
    page.get_by_role("button", name="Use this organisation").click()
    expect(page.get_by_text("Congratulations! Your channel is now successfully connected.")).to_be_visible()
    expect(page.get_by_text("is connected to the Xero organisation Northwind Traders Ltd.")).to_be_visible()
    assert AccountingChannel.objects.get().tenant_name == "Northwind Traders Ltd"

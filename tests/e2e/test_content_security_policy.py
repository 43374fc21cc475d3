"""The portal's pages keep to its Content-Security-Policy in a real browser: no violation reported.

Chromium reports every blocked inline script, inline style, event handler or foreign asset in
the console; a page that needed one would be broken for users, so any such report fails the
test (as it fails every browser test: see the `page` fixture).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounting.models import ConnectionState
from organizations.api_keys import api_key_create
from tests.csp import STRICT, directives, watch_violations
from tests.factories import AccountingChannelFactory, InvoiceFactory, ProductFactory, StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_main_pages_and_the_api_docs_raise_no_csp_violation(logged_in_page, live_server, organization):
    page = logged_in_page
    violations = watch_violations(page)
    store = StoreFactory.create(organization=organization, name="High Street Shop", currency="GBP")
    channel = AccountingChannelFactory.create(
        store=store, name="UK books", connection_state=ConnectionState.CONNECTED, is_active=True
    )
    ProductFactory.create(store=store, sku="MUG", name="Logo mug")
    invoice = InvoiceFactory.create(store=store, number="INV-9", lines=2)

    pages = [
        ("/stores/", page.get_by_role("heading", name="Stores")),
        (f"/stores/{store.pk}/", page.get_by_role("heading", name="High Street Shop", level=1)),
        (f"/stores/{store.pk}/channels/", page.get_by_label("Is Active: UK books")),
        (f"/channels/{channel.pk}/", page.locator('#sync-progress [data-field="percent"]')),
        (f"/channels/{channel.pk}/ledger/", page.get_by_role("heading", name="Sync ledger")),
        (f"/stores/{store.pk}/products/", page.get_by_role("cell", name="Logo mug")),
        (f"/stores/{store.pk}/invoices/{invoice.pk}/", page.locator('[data-total="total"]')),
        ("/api/docs/", page.locator(".opblock-summary-path", has_text="/api/v1/stores/{store_id}/invoices/").first),
    ]
    for path, shown in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        policy = directives(response.headers["content-security-policy"])
        assert {name: policy.get(name) for name in STRICT} == STRICT, path
        assert policy["form-action"].split()[0] == "'self'", path
        expect(shown).to_be_visible()
    # Swagger UI works under the policy: authorize with a key, then "Try it out" lists the stores.
    _, raw_key = api_key_create(organization=organization, name="Docs", created_by=None)
    page.get_by_role("button", name="Authorize").first.click()
    page.get_by_label("auth-bearer-value").fill(raw_key)
    page.get_by_role("button", name="Apply credentials").click()
    page.get_by_role("button", name="Close").click()
    operation = page.locator("#operations-Stores-v1_stores_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(operation.locator(".live-responses-table .microlight").first).to_contain_text("High Street Shop")

    assert violations == []


def test_the_watch_sees_what_the_policy_blocks(browser, live_server):
    """The console watch (also in every browser test's `page`) is not blind: an image from another
    host, added to a portal page, is refused by the browser and reported."""
    context = browser.new_context()
    page = context.new_page()
    violations = watch_violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        "() => { const img = document.createElement('img'); img.src = 'https://cdn.example.com/pixel.png';"
        " document.body.appendChild(img); }"
    )
    page.wait_for_timeout(500)
    context.close()
    assert len(violations) == 1, violations
    assert "Loading the image 'https://cdn.example.com/pixel.png' violates" in violations[0]
    assert "\"img-src 'self' data:\"" in violations[0]

"""Links from the portal into Xero: go.xero.com deep links for real Xero, the sandbox's page otherwise."""

from __future__ import annotations

from accounting.providers.xero.links import xero_invoice_url, xero_item_url

INVOICE_ID = "1cf1a11c-a067-4a05-9c8b-06f281f7afed"
TENANT = "6d0c1c43-9b3a-4f21-8c51-2d1f0a8b7e11"
SANDBOX_API = "http://localhost:8000/xero-sandbox/api"


def test_a_real_xero_invoice_links_to_its_go_xero_page():
    url = xero_invoice_url(invoice_id=INVOICE_ID, tenant_id=TENANT, api_url="https://api.xero.com")
    assert url == f"https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={INVOICE_ID}"


def test_a_real_xero_item_has_no_link_xero_documents_none():
    assert xero_item_url(item_id=INVOICE_ID, tenant_id=TENANT, api_url="https://api.xero.com/") == ""


def test_the_sandbox_links_to_its_organisation_page():
    expected = f"http://localhost:8000/xero-sandbox/organisations/{TENANT}/"
    assert xero_invoice_url(invoice_id=INVOICE_ID, tenant_id=TENANT, api_url=SANDBOX_API) == expected
    assert xero_item_url(item_id="item-1", tenant_id=TENANT, api_url=SANDBOX_API + "/") == expected


def test_no_link_before_xero_holds_the_record():
    assert xero_invoice_url(invoice_id="", tenant_id=TENANT, api_url="https://api.xero.com") == ""
    assert xero_item_url(item_id="", tenant_id=TENANT, api_url=SANDBOX_API) == ""


def test_the_settings_api_url_is_used_by_default(settings):
    settings.XERO_API_URL = "https://api.xero.com"
    assert xero_invoice_url(invoice_id="abc", tenant_id=TENANT).startswith("https://go.xero.com/")
    settings.XERO_API_URL = SANDBOX_API
    assert (
        xero_invoice_url(invoice_id="abc", tenant_id=TENANT)
        == f"http://localhost:8000/xero-sandbox/organisations/{TENANT}/"
    )

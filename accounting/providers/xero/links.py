"""Where a person sees a record in Xero: links from the portal's pages into Xero.

Real Xero: https://developer.xero.com/documentation/api-guides/deep-link-xero lists the resources
`go.xero.com` deep-links to (invoices, bills, credit notes, contacts, payments, ...); items are not
among them, so a product gets no link into real Xero. Without the organisation's ShortCode the
link opens in the organisation the person last used in Xero.

Anywhere else (the sandbox, whose API sits at `<base>/api`), the link is the sandbox's page of the
organisation, which lists what it holds (a page for staff).
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

XERO_API = "https://api.xero.com"
GO_XERO = "https://go.xero.com"


def _is_real_xero(api_url: str) -> bool:
    return api_url.rstrip("/") == XERO_API


def _sandbox_organisation_url(*, api_url: str, tenant_id: str) -> str:
    if not tenant_id:
        return ""
    base = api_url.rstrip("/").removesuffix("/api")
    return f"{base}/organisations/{quote(tenant_id, safe='')}/"


def xero_invoice_url(*, invoice_id: str, tenant_id: str, api_url: str | None = None) -> str:
    """Return the page of the Xero invoice `invoice_id`, or "" when it has none."""
    if not invoice_id:
        return ""
    api_url = api_url or settings.XERO_API_URL
    if not _is_real_xero(api_url):
        return _sandbox_organisation_url(api_url=api_url, tenant_id=tenant_id)
    return f"{GO_XERO}/AccountsReceivable/View.aspx?InvoiceID={quote(invoice_id, safe='')}"


def xero_item_url(*, item_id: str, tenant_id: str, api_url: str | None = None) -> str:
    """Return the page of the Xero item `item_id`, or "" (real Xero documents no deep link to items)."""
    if not item_id:
        return ""
    api_url = api_url or settings.XERO_API_URL
    if not _is_real_xero(api_url):
        return _sandbox_organisation_url(api_url=api_url, tenant_id=tenant_id)
    return ""


def xero_credit_note_url(*, credit_note_id: str, tenant_id: str, api_url: str | None = None) -> str:
    """Return the page of the Xero credit note `credit_note_id` (a refund), or ""."""
    if not credit_note_id:
        return ""
    api_url = api_url or settings.XERO_API_URL
    if not _is_real_xero(api_url):
        return _sandbox_organisation_url(api_url=api_url, tenant_id=tenant_id)
    return f"{GO_XERO}/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={quote(credit_note_id, safe='')}"

"""Store invoices → Xero sales invoices (ACCREC), and the status changes Xero accepts for them.

Pure functions: no calls to Xero here. The lines are `lines`' (accounts, tax types, rounding).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.urls import reverse
from xero_python.accounting.models import Contact, Invoice, LineAmountTypes

from accounting.models import AccountingChannel
from accounting.providers.xero.mapping.common import currency
from accounting.providers.xero.mapping.lines import LineAccounts, invoice_amount_type, invoice_lines
from accounting.providers.xero.mapping.tracking import TrackingChoice, lines_track
from accounting.providers.xero.status import void_status
from accounting.providers.xero.values import CLOSED, XeroStatus
from stores.models import Invoice as StoreInvoice
from stores.models import InvoiceStatus, Product


def xero_invoice_number(*, channel: AccountingChannel, invoice: StoreInvoice) -> str:
    """Return the invoice number as Xero sees it: the channel's prefix, then the store's number."""
    return f"{channel.invoice_number_prefix}{invoice.number}"


def invoice_portal_url(*, invoice: StoreInvoice) -> str:
    """Return the absolute address of the invoice in the portal (Xero shows it as a link)."""
    path = reverse("stores:invoice-detail", kwargs={"store_id": invoice.store_id, "invoice_id": invoice.pk})
    return f"{settings.SITE_URL}{path}"


def invoice_payload(
    *,
    invoice: StoreInvoice,
    channel: AccountingChannel,
    contact_id: str,
    account_code: str,
    item_codes: set[str],
    tax_types: Mapping[tuple[Decimal, str], str],
    invoice_id: str = "",
    accounts: LineAccounts | None = None,
    tracking: TrackingChoice | None = None,
) -> Invoice:
    """Return the Xero sales invoice (ACCREC) for a store invoice.

    `item_codes` are the codes known to exist in the organisation: a line whose product is not
    among them goes without ItemCode (description, quantity and price only). `tax_types` maps
    each line's (rate, kind) to the channel's Xero TaxType (`line_tax_type`). The invoice's own
    tax mode decides LineAmountTypes; each line kind goes to its account (`accounts`, the sales
    account `account_code` for goods), and a rounding line closes any gap between Xero's total
    and the store's (`invoice_lines`). Every line carries the option `tracking`, if any.
    """
    planned = invoice_lines(
        invoice=invoice,
        accounts=accounts or LineAccounts(sales=account_code),
        item_codes=item_codes,
        tax_types=tax_types,
    )
    lines_track(planned.items, tracking)
    status = xero_invoice_status(invoice=invoice, channel=channel)
    payload = Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        line_items=planned.items,
        date=invoice.issue_date,
        due_date=invoice.due_date,
        line_amount_types=LineAmountTypes(invoice_amount_type(invoice)),
        invoice_number=xero_invoice_number(channel=channel, invoice=invoice),
        reference=invoice.number,
        url=invoice_portal_url(invoice=invoice),
        currency_code=currency(invoice.currency),
        status=status,
    )
    if invoice.exchange_rate is not None:
        # The store's own rate (units of invoice currency per unit of the base currency).
        payload.currency_rate = Decimal(invoice.exchange_rate).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    if invoice_id:
        payload.invoice_id = invoice_id
    return payload


def xero_invoice_status(*, invoice: StoreInvoice, channel: AccountingChannel, xero_status: str = "") -> str:
    """Return the Xero status: the channel's for issued and paid invoices, DRAFT for drafts.

    A voided invoice follows the status Xero holds for it (`xero_status`, the one Xero last
    accepted; the channel's setting when unknown), as Xero requires: DELETED for a DRAFT or
    SUBMITTED invoice, VOIDED for an AUTHORISED one. A plain string: it goes into SDK models.
    """
    if invoice.status == InvoiceStatus.DRAFT:
        return XeroStatus.DRAFT.value
    if invoice.status == InvoiceStatus.VOID:
        held = xero_status or channel.invoice_status
        if held in CLOSED:
            return str(held)
        return void_status(held)
    return channel.invoice_status


def status_change_payload(*, invoice_id: str, status: str) -> Invoice:
    """Return a status change as Xero wants it: InvoiceID and Status only (xero-node#407)."""
    return Invoice(invoice_id=invoice_id, status=str(status))


def line_item_products(invoice: StoreInvoice) -> list[Product]:
    """Return the distinct products referenced by an invoice's lines."""
    seen: dict[int, Product] = {}
    for line in invoice.lines.all():
        if line.product is not None:
            seen.setdefault(line.product.pk, line.product)
    return list(seen.values())

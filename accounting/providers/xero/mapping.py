"""Store objects → xero-python SDK models, and the Xero rules that shape them.

Pure functions: no calls to Xero here. Money is quantized before the SDK sees it (the SDK sends
floats), dates are `date`s, and the limits Xero documents (item code 30, item name 50) are
enforced here with a clear message instead of a rejected request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from xero_python.accounting.models import (
    Account,
    Address,
    Contact,
    CurrencyCode,
    Invoice,
    Item,
    LineAmountTypes,
    LineItem,
    Phone,
    Purchase,
)
from xero_python.api_client.serializer import serialize

from accounting.models import AccountingChannel, LineAmountType, line_tax_key
from stores.models import Invoice as StoreInvoice
from stores.models import InvoiceStatus, Product

FOUR_DP = Decimal("0.0001")
TWO_DP = Decimal("0.01")
HUNDRED = Decimal("100")
ITEM_CODE_MAX = 30
ITEM_NAME_MAX = 50
CONTACT_NAME_MAX = 255
# Xero's own order of preference for a default sales account among REVENUE-class accounts.
SALES_ACCOUNT_TYPES = ("SALES", "REVENUE", "OTHERINCOME")


class MappingError(ValueError):
    """Raise when a store record cannot be expressed as a Xero record; the message says why."""


def quantize(value: Decimal, places: Decimal = FOUR_DP) -> Decimal:
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def xero_invoice_number(*, channel: AccountingChannel, invoice: StoreInvoice) -> str:
    """Return the invoice number as Xero sees it: the channel's prefix, then the store's number."""
    return f"{channel.invoice_number_prefix}{invoice.number}"


def invoice_portal_url(*, invoice: StoreInvoice) -> str:
    """Return the absolute address of the invoice in the portal (Xero shows it as a link)."""
    path = reverse("stores:invoice-detail", kwargs={"store_id": invoice.store_id, "invoice_id": invoice.pk})
    return f"{settings.SITE_URL}{path}"


def item_code(*, product: Product) -> str:
    """Return the Xero item code of a product (its SKU); raise MappingError past 30 characters."""
    if len(product.sku) > ITEM_CODE_MAX:
        raise MappingError(
            f"SKU '{product.sku}' has {len(product.sku)} characters; Xero item codes allow {ITEM_CODE_MAX}."
        )
    return product.sku


def item_name(*, product: Product) -> str:
    """Return the item name: a variant carries its main product's name first; at most 50 chars."""
    name = product.name
    if product.parent_id is not None and product.parent is not None and product.parent.name not in name:
        name = f"{product.parent.name} - {name}"
    return name[:ITEM_NAME_MAX]


def item_payload(*, product: Product, account_code: str) -> Item:
    """Return the Xero Item for a product (sold, with a sales price and account).

    No TaxType: products carry no rate in the store, and an invoice line gets the type mapped
    for its own rate; in Xero the item then takes its sales account's default tax type.
    """
    sales = Purchase(unit_price=quantize(product.unit_price), account_code=account_code or None)
    return Item(
        code=item_code(product=product),
        name=item_name(product=product),
        description=(product.description or product.name)[:4000],
        is_sold=True,
        sales_details=sales,
    )


def invoice_payload(
    *,
    invoice: StoreInvoice,
    channel: AccountingChannel,
    contact_id: str,
    account_code: str,
    item_codes: set[str],
    tax_types: Mapping[tuple[Decimal, str], str],
    invoice_id: str = "",
) -> Invoice:
    """Return the Xero sales invoice (ACCREC) for a store invoice.

    `item_codes` are the codes known to exist in the organisation: a line whose product is not
    among them goes without ItemCode (description, quantity and price only). `tax_types` maps
    each line's (rate, kind) to the channel's Xero TaxType (`line_tax_type`). Store prices are
    tax exclusive: an Inclusive channel gets gross unit prices, a NoTax channel no tax at all.
    """
    amounts = channel.line_amount_type
    lines = []
    for line in invoice.lines.all():
        tax_type = ""
        if amounts != LineAmountType.NO_TAX:
            tax_type = line_tax_type(line=line, tax_types=tax_types)
        unit_price = Decimal(line.unit_price)
        if amounts == LineAmountType.INCLUSIVE:
            unit_price = unit_price * (HUNDRED + Decimal(line.tax_rate)) / HUNDRED
        lines.append(
            _line_payload(
                line, unit_price=unit_price, account_code=account_code, tax_type=tax_type, item_codes=item_codes
            )
        )
    status = xero_invoice_status(invoice=invoice, channel=channel)
    payload = Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        line_items=lines,
        date=invoice.issue_date,
        due_date=invoice.due_date,
        line_amount_types=LineAmountTypes(channel.line_amount_type),
        invoice_number=xero_invoice_number(channel=channel, invoice=invoice),
        reference=invoice.number,
        url=invoice_portal_url(invoice=invoice),
        currency_code=_currency(invoice.currency),
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
    SUBMITTED invoice, VOIDED for an AUTHORISED one.
    """
    if invoice.status == InvoiceStatus.DRAFT:
        return "DRAFT"
    if invoice.status == InvoiceStatus.VOID:
        held = xero_status or channel.invoice_status
        if held in ("DELETED", "VOIDED"):
            return held
        return "DELETED" if held in ("DRAFT", "SUBMITTED") else "VOIDED"
    return channel.invoice_status


def _currency(code: str) -> CurrencyCode:
    try:
        return CurrencyCode(code)
    except ValueError:
        raise MappingError(f"Xero does not know the currency '{code}'.") from None


def _line_payload(
    line: Any, *, unit_price: Decimal, account_code: str, tax_type: str, item_codes: set[str]
) -> LineItem:
    item = LineItem(
        description=line.description,
        quantity=quantize(line.quantity),
        unit_amount=quantize(unit_price),
        account_code=account_code or None,
    )
    if tax_type:
        item.tax_type = tax_type
    if line.discount_rate:
        item.discount_rate = quantize(line.discount_rate, TWO_DP)
    product = line.product
    if product is not None and product.sku in item_codes:
        item.item_code = product.sku
    return item


def line_tax_type(*, line: Any, tax_types: Mapping[tuple[Decimal, str], str]) -> str:
    """Return the Xero TaxType mapped for the line's (rate, kind); raise MappingError when none is.

    The mapping is the operator's (or the pre-fill of a rate with one sales tax type), resolved
    before the payload is built (`accounting.services.tax_mapping`): nothing is guessed here.
    """
    key = line_tax_key(line)
    if key not in tax_types:
        raise MappingError(tax_unmapped_message(rate=key[0]))
    return tax_types[key]


def tax_unmapped_message(*, rate: Decimal) -> str:
    return (
        f"No Xero tax type is mapped for {percent_text(rate)}% on this channel: "
        "choose one under Tax mapping on the channel page."
    )


def percent_text(rate: Decimal) -> str:
    """Return a rate as people write it: 20, 12.5, 0."""
    text = f"{Decimal(rate).normalize():f}"
    return "0" if text in ("-0", "0") else text


def line_item_products(invoice: StoreInvoice) -> list[Product]:
    """Return the distinct products referenced by an invoice's lines."""
    seen: dict[int, Product] = {}
    for line in invoice.lines.all():
        if line.product is not None:
            seen.setdefault(line.product.pk, line.product)
    return list(seen.values())


# Contacts ----------------------------------------------------------------------------------


def customer_key(*, name: str, email: str, number: str = "") -> str:
    """Return how a customer is recognised: the store's customer id, else their e-mail, else their name."""
    if number.strip():
        return f"id:{number.strip()}"
    return email.strip().lower() if email.strip() else f"name:{name.strip()}"


CONTACT_NUMBER_MAX = 50
PHONE_MAX = 50


@dataclass(frozen=True)
class PostalAddress:
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    def __bool__(self) -> bool:
        return any((self.line1, self.line2, self.city, self.region, self.postal_code, self.country))


def contact_payload(
    *,
    name: str,
    email: str,
    number: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    address: PostalAddress | None = None,
) -> Contact:
    """Return the Xero contact of a customer: ContactNumber is the store's customer id (the stable
    key it is found by again); names, e-mail, phone and address only when the store has them.

    The address goes out twice, as Xero keeps a postal (POBOX: printed on invoices) and a street
    address per contact; the phone as the DEFAULT phone."""
    contact = Contact(name=name[:CONTACT_NAME_MAX])
    if email:
        contact.email_address = email
    if number:
        if len(number) > CONTACT_NUMBER_MAX:
            raise MappingError(
                f"Customer id '{number}' has {len(number)} characters; Xero contact numbers allow {CONTACT_NUMBER_MAX}."
            )
        contact.contact_number = number
    if first_name:
        contact.first_name = first_name[:255]
    if last_name:
        contact.last_name = last_name[:255]
    if phone:
        contact.phones = [Phone(phone_type="DEFAULT", phone_number=phone[:PHONE_MAX])]
    if address:
        contact.addresses = [
            Address(
                address_type=kind,
                address_line1=address.line1[:500] or None,
                address_line2=address.line2[:500] or None,
                city=address.city[:255] or None,
                region=address.region[:255] or None,
                postal_code=address.postal_code[:50] or None,
                country=address.country[:50] or None,
            )
            for kind in ("POBOX", "STREET")
        ]
    return contact


def disambiguated_name(*, name: str, email: str, attempt: int = 1) -> str:
    """Return a contact name that differs from a taken `name`: the e-mail, then a number."""
    suffix = f" ({email})" if email and attempt == 1 else f" ({email or 'customer'} {attempt})"
    return f"{name[: CONTACT_NAME_MAX - len(suffix)]}{suffix}"


# Xero query language and answers --------------------------------------------------------------


def where_any(field: str, values: Iterable[str]) -> str:
    """Return a Xero `where` filter matching `field` equal to any of `values`."""
    quoted = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
    return " OR ".join(f'{field}=="{v}"' for v in quoted)


def pick_sales_account(accounts: Iterable[Account]) -> str:
    """Return the code of the organisation's default sales account among REVENUE accounts."""
    candidates = [a for a in accounts if a.code and str(getattr(a, "status", "ACTIVE") or "ACTIVE").endswith("ACTIVE")]
    for wanted in SALES_ACCOUNT_TYPES:
        for account in candidates:
            if _enum_value(account.type) == wanted:
                return str(account.code)
    return str(candidates[0].code) if candidates else ""


def element_errors(element: Any) -> list[str]:
    """Return Xero's validation messages of one element of a summarizeErrors=false answer."""
    messages = [e.message for e in (element.validation_errors or []) if getattr(e, "message", None)]
    if not messages and _enum_value(getattr(element, "status_attribute_string", None)) == "ERROR":
        messages = ["Xero refused this record without a message."]
    return messages


def _enum_value(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def payload_hash(model: Any) -> str:
    """Return a stable digest of an SDK model as it would be sent."""
    body = json.dumps(serialize(model), sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()

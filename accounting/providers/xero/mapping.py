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

from accounting.models import AccountingChannel, DiscountMode, LineKind, line_kind_of, line_tax_key
from accounting.providers.xero import totals
from accounting.providers.xero.totals import XeroLine
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


class LineAccountUnset(MappingError):
    """A line needs an account the operator has not chosen yet (Line accounts card)."""


class TaxTypeUnmapped(MappingError):
    """A line's rate has no Xero tax type chosen yet (Tax mapping card)."""


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
    accounts: LineAccounts | None = None,
) -> Invoice:
    """Return the Xero sales invoice (ACCREC) for a store invoice.

    `item_codes` are the codes known to exist in the organisation: a line whose product is not
    among them goes without ItemCode (description, quantity and price only). `tax_types` maps
    each line's (rate, kind) to the channel's Xero TaxType (`line_tax_type`). The invoice's own
    tax mode decides LineAmountTypes; each line kind goes to its account (`accounts`, the sales
    account `account_code` for goods), and a rounding line closes any gap between Xero's total
    and the store's (`invoice_lines`).
    """
    planned = invoice_lines(
        invoice=invoice,
        accounts=accounts or LineAccounts(sales=account_code),
        item_codes=item_codes,
        tax_types=tax_types,
    )
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
        currency_code=_currency(invoice.currency),
        status=status,
    )
    if invoice.exchange_rate is not None:
        # The store's own rate (units of invoice currency per unit of the base currency).
        payload.currency_rate = Decimal(invoice.exchange_rate).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    if invoice_id:
        payload.invoice_id = invoice_id
    return payload


# Invoice lines by kind, and the rounding line ------------------------------------------------

TAX_MODE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "no_tax": "NoTax"}
ROUNDING_DESCRIPTION = "Rounding"
SETTING_LABELS = {
    LineKind.SHIPPING: ("shipping lines", "shipping account"),
    LineKind.DISCOUNT: ("discounts", "discount account"),
    LineKind.GIFT_CARD_SOLD: ("gift cards", "gift card liability account"),
    LineKind.GIFT_CARD_REDEEMED: ("gift cards", "gift card liability account"),
}


@dataclass(frozen=True)
class LineAccounts:
    """The channel's accounts per line kind (codes; "" = not set) and how discounts go."""

    sales: str = ""
    shipping: str = ""
    discount: str = ""
    gift_card: str = ""
    rounding: str = ""
    rounding_tax_type: str = ""
    discount_mode: str = DiscountMode.LINE

    def for_kind(self, kind: str) -> str:
        return {
            LineKind.GOODS: self.sales,
            LineKind.SHIPPING: self.shipping,
            LineKind.DISCOUNT: self.discount,
            LineKind.GIFT_CARD_SOLD: self.gift_card,
            LineKind.GIFT_CARD_REDEEMED: self.gift_card,
        }[LineKind(kind)]


@dataclass
class PlannedLines:
    """The lines to send, Xero's totals for them, and the rounding line's amount (0: none)."""

    items: list[LineItem]
    xero_total: Decimal
    store_total: Decimal
    rounding: Decimal
    rounding_account: str = ""


ROUNDING_NOTE = "Sent with a rounding line of {amount} to account {account}"


def rounding_note(payload: Invoice) -> str:
    """Return what the invoice page says of the payload's rounding line ("" when it has none)."""
    lines = payload.line_items or []
    last = lines[-1] if lines else None
    if last is None or last.description != ROUNDING_DESCRIPTION or getattr(last, "item_code", None):
        return ""
    amount = Decimal(str(last.unit_amount)).quantize(TWO_DP)
    return (
        ROUNDING_NOTE.format(amount=amount, account=last.account_code)
        + ": Xero rounds tax per line, and this makes its total the store's."
    )


def invoice_amount_type(invoice: StoreInvoice) -> str:
    """Return Xero's LineAmountTypes for the invoice's own tax mode (exclusive when it has none)."""
    return TAX_MODE_AMOUNT_TYPES.get(str(getattr(invoice, "tax_mode", "") or "exclusive"), "Exclusive")


def line_account_unset_message(*, kind: str) -> str:
    return line_accounts_unset_message(kinds=[kind])


def line_accounts_unset_message(*, kinds: Iterable[str]) -> str:
    """Return what an invoice whose lines of `kinds` have no account chosen waits for."""
    labels = list(dict.fromkeys(SETTING_LABELS[LineKind(kind)] for kind in kinds))
    what = _and([label[0] for label in labels])
    settings = _and([label[1] for label in labels])
    one, verb = ("one", "is") if len(labels) == 1 else ("them", "are")
    return (
        f"This invoice has {what} and no {settings} {verb} set on this channel: choose {one} under Line accounts "
        "on the channel page."
    )


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def unset_line_accounts(*, keys: Iterable[tuple[Decimal, str]], accounts: LineAccounts) -> list[str]:
    """Return the line kinds among `keys` (rate, kind) whose account is not chosen, in the order
    the Line accounts card lists them."""
    kinds = {kind for _rate, kind in keys if kind != LineKind.GOODS and not accounts.for_kind(kind)}
    return [kind for kind in SETTING_LABELS if kind in kinds]


def _split_discount(line: Any, accounts: LineAccounts) -> bool:
    """Return whether the line's discount goes as its own line to the discount account."""
    return (
        bool(line.discount_rate)
        and accounts.discount_mode == DiscountMode.SEPARATE
        and (line_kind_of(line) == LineKind.GOODS)
    )


def invoice_tax_keys(invoice: StoreInvoice, *, accounts: LineAccounts) -> set[tuple[Decimal, str]]:
    """Return the (rate, kind) keys whose Xero tax types the invoice's lines need (none for NoTax)."""
    if invoice_amount_type(invoice) == "NoTax":
        return set()
    keys = set()
    for line in invoice.lines.all():
        keys.add(line_tax_key(line))
        if _split_discount(line, accounts):
            keys.add(line_tax_key(line, kind=LineKind.DISCOUNT))
    return keys


def invoice_lines(
    *,
    invoice: StoreInvoice,
    accounts: LineAccounts,
    item_codes: set[str],
    tax_types: Mapping[tuple[Decimal, str], str],
) -> PlannedLines:
    """Return the Xero lines of a store invoice: each line to its kind's account and tax type, a
    split discount as its own line, and a rounding line when Xero's total would differ.

    Raise MappingError when a needed account or tax type is not set, or when the totals differ
    by more than rounding can explain.
    """
    amounts = invoice_amount_type(invoice)
    items: list[LineItem] = []
    money: list[XeroLine] = []

    def tax_type_of(line: Any, kind: str | None = None) -> str:
        if amounts == "NoTax":
            return ""
        return line_tax_type(line=line, tax_types=tax_types, kind=kind)

    for line in invoice.lines.all():
        kind = line_kind_of(line)
        account = accounts.for_kind(kind)
        if kind != LineKind.GOODS and not account:
            raise LineAccountUnset(line_account_unset_message(kind=kind))
        quantity, unit = quantize(line.quantity), quantize(line.unit_price)
        rate = Decimal(line.tax_rate)
        item = LineItem(description=line.description, quantity=quantity, unit_amount=unit, account_code=account or None)
        tax_type = tax_type_of(line)
        if tax_type:
            item.tax_type = tax_type
        product = line.product
        if kind == LineKind.GOODS and product is not None and product.sku in item_codes:
            item.item_code = product.sku
        discount_rate = quantize(line.discount_rate, TWO_DP) if line.discount_rate else None
        if discount_rate and not _split_discount(line, accounts):
            item.discount_rate = discount_rate
            money.append(XeroLine(quantity=quantity, unit_amount=unit, tax_rate=rate, discount_rate=discount_rate))
            items.append(item)
            continue
        items.append(item)
        money.append(XeroLine(quantity=quantity, unit_amount=unit, tax_rate=rate))
        if discount_rate:
            if not accounts.discount:
                raise LineAccountUnset(line_account_unset_message(kind=LineKind.DISCOUNT))
            full = totals.cents(quantity * unit)
            net = totals.line_amount(XeroLine(quantity=quantity, unit_amount=unit, discount_rate=discount_rate))
            off = LineItem(
                description=f"Discount {percent_text(discount_rate)}% on {line.description}"[:4000],
                quantity=Decimal("1.0000"), unit_amount=net - full, account_code=accounts.discount,
            )  # fmt: skip
            discount_tax = tax_type_of(line, LineKind.DISCOUNT)
            if discount_tax:
                off.tax_type = discount_tax
            items.append(off)
            money.append(XeroLine(quantity=Decimal(1), unit_amount=net - full, tax_rate=rate))
    xero = totals.xero_totals(money, amounts=amounts)
    store_total = totals.cents(invoice.total)
    planned = PlannedLines(
        items=items, xero_total=xero.total, store_total=store_total, rounding=store_total - xero.total
    )
    if planned.rounding:
        _rounding_line_add(planned, accounts=accounts, amounts=amounts, lines=len(money))
    return planned


def _rounding_line_add(planned: PlannedLines, *, accounts: LineAccounts, amounts: str, lines: int) -> None:
    # Per-line rounding moves a line's amount and its tax by at most a cent each.
    if abs(planned.rounding) > TWO_DP * 2 * max(lines, 1):
        raise MappingError(
            f"Xero would total this invoice {planned.xero_total}, the store says {planned.store_total}: the "
            "difference is more than rounding, so the store's lines and total disagree."
        )
    if not accounts.rounding:
        raise LineAccountUnset(
            f"Xero computes tax per line and would total this invoice {planned.xero_total}, the store says "
            f"{planned.store_total}: choose a rounding account under Line accounts on the channel page, and a "
            "rounding line will close the difference."
        )
    item = LineItem(
        description=ROUNDING_DESCRIPTION, quantity=Decimal("1.0000"), unit_amount=planned.rounding,
        account_code=accounts.rounding,
    )  # fmt: skip
    if amounts != "NoTax" and accounts.rounding_tax_type:
        item.tax_type = accounts.rounding_tax_type
    planned.items.append(item)
    planned.rounding_account = accounts.rounding


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


def line_tax_type(*, line: Any, tax_types: Mapping[tuple[Decimal, str], str], kind: str | None = None) -> str:
    """Return the Xero TaxType mapped for the line's (rate, kind); raise MappingError when none is.

    The mapping is the operator's (or the pre-fill of a rate with one sales tax type), resolved
    before the payload is built (`accounting.services.tax_mapping`): nothing is guessed here.
    """
    key = line_tax_key(line, kind=kind)
    if key not in tax_types:
        raise TaxTypeUnmapped(tax_unmapped_message(rate=key[0]))
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

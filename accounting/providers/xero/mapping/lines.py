"""A store invoice's lines as Xero lines: each kind to its account and tax type, a split discount
as its own line, and a rounding line where Xero's per-line rounding would change the total.

Pure functions: no calls to Xero here (`totals` knows Xero's arithmetic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xero_python.accounting.models import Invoice, LineItem

from accounting.models import DiscountMode, LineKind, line_kind_of, line_tax_key
from accounting.providers.xero import totals
from accounting.providers.xero.mapping.common import (
    TWO_DP,
    LineAccountUnset,
    MappingError,
    TaxTypeUnmapped,
    percent_text,
    quantize,
)
from accounting.providers.xero.totals import XeroLine
from stores.models import Invoice as StoreInvoice

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
    # Xero's arithmetic of each item but the rounding line (same order): a summary sums them.
    money: list[XeroLine]
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
    return rounding_note_message(amount=amount, account=last.account_code)


def rounding_note_message(*, amount: Decimal, account: str) -> str:
    return (
        ROUNDING_NOTE.format(amount=amount, account=account)
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
        items=items, money=money, xero_total=xero.total, store_total=store_total, rounding=store_total - xero.total
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


def line_tax_type(*, line: Any, tax_types: Mapping[tuple[Decimal, str], str], kind: str | None = None) -> str:
    """Return the Xero TaxType mapped for the line's (rate, kind); raise MappingError when none is.

    The mapping is the operator's (or the pre-fill of a rate with one sales tax type), resolved
    before the payload is built (`accounting.books.tax_mapping`): nothing is guessed here.
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

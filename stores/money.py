"""The one place money is computed: per-line amounts and tax rounded to 2 dp, totals summed.

This is Xero's rule (tax computed per line, rounded, then summed), so the portal's totals
match what Xero shows for the same invoice. The three tax modes are Xero's LineAmountTypes:

- exclusive: unit prices exclude tax; tax = line amount × rate, rounded per line;
- inclusive: unit prices include tax; the line amount is tax inclusive and its tax is
  line amount − line amount / (1 + rate), rounded per line (the sandbox and Xero both do this);
- no_tax: no tax at all, whatever the line's rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")

EXCLUSIVE, INCLUSIVE, NO_TAX = "exclusive", "inclusive", "no_tax"


# ISO 4217 minor units where they are not 2 (the currencies Xero and the gateways use).
MINOR_UNITS = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
                     "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}  # fmt: skip


def currency_places(code: str) -> int:
    """Return how many decimals amounts in the currency `code` have (ISO 4217 minor units)."""
    return MINOR_UNITS.get(code.upper(), 2)


def to_cents(value: Decimal) -> Decimal:
    """Return `value` rounded half-up to 2 dp (Xero rounds amounts away from zero at .5)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    # quantity × unit price less discount, 2 dp: Xero's LineAmount (tax inclusive in inclusive mode)
    line_amount: Decimal
    tax_amount: Decimal  # the line's tax, 2 dp
    tax_included: bool = False  # whether line_amount already includes tax_amount

    @property
    def net_amount(self) -> Decimal:
        """The line's amount before tax."""
        return self.line_amount - self.tax_amount if self.tax_included else self.line_amount

    @property
    def gross_amount(self) -> Decimal:
        """The line's amount with its tax: what the customer pays for it."""
        return self.line_amount if self.tax_included else self.line_amount + self.tax_amount


def line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    tax_rate: Decimal,
    discount_rate: Decimal,
    tax_mode: str = EXCLUSIVE,
) -> LineAmounts:
    """Return the 2 dp line amount and tax of one invoice line in `tax_mode`."""
    gross = Decimal(quantity) * Decimal(unit_price)
    amount = to_cents(gross * (HUNDRED - Decimal(discount_rate)) / HUNDRED)
    if tax_mode == NO_TAX:
        return LineAmounts(line_amount=amount, tax_amount=ZERO)
    rate = Decimal(tax_rate) / HUNDRED
    if tax_mode == INCLUSIVE:
        tax = to_cents(amount - amount / (1 + rate))
        return LineAmounts(line_amount=amount, tax_amount=tax, tax_included=True)
    return LineAmounts(line_amount=amount, tax_amount=to_cents(amount * rate))


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal


def invoice_totals(lines: Iterable[LineAmounts]) -> Totals:
    """Return the totals of an invoice: the sums of its rounded lines (subtotal before tax)."""
    subtotal = Decimal("0.00")
    total_tax = Decimal("0.00")
    for line in lines:
        subtotal += line.net_amount
        total_tax += line.tax_amount
    return Totals(subtotal=subtotal, total_tax=total_tax, total=subtotal + total_tax)


# Amounts are stored as Decimal(14, 2): each line amount, its tax and the invoice totals must stay
# below 10^12 (in absolute value), or PostgreSQL refuses the row ("numeric field overflow").
AMOUNT_LIMIT = Decimal(10) ** 12
TOTAL_TOO_LARGE = f"The invoice total is too large (at most {AMOUNT_LIMIT - CENT:,})."


def line_too_large_message(*, index: int) -> str:
    return f"Line {index}: its amount or tax is too large (at most {AMOUNT_LIMIT - CENT:,} per line)."


def amounts_too_large(lines: Iterable[LineAmounts]) -> list[str]:
    """Return why these line amounts cannot be stored (a line or a total reaching 10^12), or []."""
    amounts = list(lines)
    problems = [
        line_too_large_message(index=index)
        for index, line in enumerate(amounts, start=1)
        if abs(line.line_amount) >= AMOUNT_LIMIT or abs(line.tax_amount) >= AMOUNT_LIMIT
    ]
    if not problems:
        totals = invoice_totals(amounts)
        if max(abs(totals.subtotal), abs(totals.total_tax), abs(totals.total)) >= AMOUNT_LIMIT:
            problems.append(TOTAL_TOO_LARGE)
    return problems

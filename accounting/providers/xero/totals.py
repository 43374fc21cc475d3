"""What Xero will compute for an invoice's lines, before it is sent.

Xero's arithmetic (see `xero_sandbox/README.md`, "Line money"): LineAmount = Quantity × UnitAmount
× (100 − DiscountRate)/100 (or − DiscountAmount), rounded to 2 dp; tax per line (Exclusive:
LineAmount × rate; Inclusive: LineAmount − LineAmount / (1 + rate); NoTax: none), rounded to 2 dp,
then summed. Knowing it in advance lets the portal add a rounding line where the store's total
differs, as Xero's "Rounding in Xero" guide suggests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class XeroLine:
    """One line as sent: quantity and unit amount (as the SDK sends them), discount, tax rate (%)."""

    quantity: Decimal
    unit_amount: Decimal
    tax_rate: Decimal = ZERO
    discount_rate: Decimal | None = None
    discount_amount: Decimal | None = None


@dataclass(frozen=True)
class XeroTotals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal


def line_amount(line: XeroLine) -> Decimal:
    gross = Decimal(line.quantity) * Decimal(line.unit_amount)
    if line.discount_rate:
        gross = gross * (HUNDRED - Decimal(line.discount_rate)) / HUNDRED
    elif line.discount_amount is not None:
        gross -= Decimal(line.discount_amount)
    return cents(gross)


def line_tax(line: XeroLine, *, amounts: str) -> Decimal:
    rate = Decimal(line.tax_rate) / HUNDRED
    if amounts == "Exclusive":
        return cents(line_amount(line) * rate)
    if amounts == "Inclusive":
        gross = line_amount(line)
        return cents(gross - gross / (1 + rate))
    return ZERO


def xero_totals(lines: Iterable[XeroLine], *, amounts: str) -> XeroTotals:
    """Return the SubTotal, TotalTax and Total Xero computes for `lines` sent as `amounts`."""
    listed = list(lines)
    gross = sum((line_amount(line) for line in listed), ZERO)
    tax = sum((line_tax(line, amounts=amounts) for line in listed), ZERO)
    if amounts == "Inclusive":
        return XeroTotals(sub_total=gross - tax, total_tax=tax, total=gross)
    return XeroTotals(sub_total=gross, total_tax=tax, total=gross + tax)

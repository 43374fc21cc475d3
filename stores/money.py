"""The one place money is computed: per-line amounts and tax rounded to 2 dp, totals summed.

This is Xero's rule (tax computed per line, rounded, then summed), so the portal's totals
match what Xero shows for the same invoice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def to_cents(value: Decimal) -> Decimal:
    """Return `value` rounded half-up to 2 dp (Xero rounds amounts away from zero at .5)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    line_amount: Decimal  # quantity × unit price less discount, 2 dp, before tax
    tax_amount: Decimal  # line_amount × tax rate, 2 dp


def line_amounts(*, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, discount_rate: Decimal) -> LineAmounts:
    """Return the 2 dp line amount and tax of one invoice line (tax exclusive prices)."""
    gross = Decimal(quantity) * Decimal(unit_price)
    net = to_cents(gross * (HUNDRED - Decimal(discount_rate)) / HUNDRED)
    tax = to_cents(net * Decimal(tax_rate) / HUNDRED)
    return LineAmounts(line_amount=net, tax_amount=tax)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal


def invoice_totals(lines: Iterable[LineAmounts]) -> Totals:
    """Return the totals of an invoice: the sums of its rounded lines."""
    subtotal = Decimal("0.00")
    total_tax = Decimal("0.00")
    for line in lines:
        subtotal += line.line_amount
        total_tax += line.tax_amount
    return Totals(subtotal=subtotal, total_tax=total_tax, total=subtotal + total_tax)


# Amounts are stored as Decimal(14, 2): each line amount, its tax and the invoice totals must stay
# below 10^12 (in absolute value), or PostgreSQL refuses the row ("numeric field overflow").
AMOUNT_LIMIT = Decimal(10) ** 12


def amounts_too_large(lines: Iterable[LineAmounts]) -> list[str]:
    """Return why these line amounts cannot be stored (a line or a total reaching 10^12), or []."""
    amounts = list(lines)
    problems = [
        f"Line {index}: its amount or tax is too large (at most {AMOUNT_LIMIT - CENT:,} per line)."
        for index, line in enumerate(amounts, start=1)
        if abs(line.line_amount) >= AMOUNT_LIMIT or abs(line.tax_amount) >= AMOUNT_LIMIT
    ]
    if not problems:
        totals = invoice_totals(amounts)
        if max(abs(totals.subtotal), abs(totals.total_tax), abs(totals.total)) >= AMOUNT_LIMIT:
            problems.append(f"The invoice total is too large (at most {AMOUNT_LIMIT - CENT:,}).")
    return problems

"""A refund's credit lines: each refunded line's tax-inclusive amount, or an amount refunded
without lines spread over the invoice's (rate, kind) by their gross share. Shared by refunds sent
as their own credit notes and refunds gathered into a day's summary."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accounting.models import line_tax_key
from stores.models import InvoiceLine, Refund

CENT = Decimal("0.01")


class NoLineToRefund(Exception):
    """The invoice has no line the refund could go against."""


def refund_parts(*, refund: Refund, invoice_lines: list[InvoiceLine]) -> list[tuple[InvoiceLine, str, Decimal]]:
    """Return (invoice line, description, tax-inclusive amount) of each credit note line."""
    refund_lines = list(refund.lines.all())
    if refund_lines:
        return [
            (rl.invoice_line, f"Refund: {_quantity(rl.quantity)} × {rl.invoice_line.description}", rl.amount)
            for rl in refund_lines
        ]
    # An amount refunded without lines: spread over the invoice's (rate, kind) by their gross share.
    gross: dict[Any, Decimal] = {}
    first: dict[Any, InvoiceLine] = {}
    for line in invoice_lines:
        key = line_tax_key(line)
        first.setdefault(key, line)
        gross[key] = gross.get(key, Decimal(0)) + line.gross_amount
    # Lines that take money off (discounts, gift cards redeemed) lower their rate's share.
    keys = sorted((k for k in gross if gross[k] > 0), key=lambda k: gross[k], reverse=True)
    total = sum((gross[k] for k in keys), Decimal(0))
    if not keys or total <= 0:
        raise NoLineToRefund("The invoice has no line to refund against.")
    shares = {k: (refund.amount * gross[k] / total).quantize(CENT, rounding=ROUND_HALF_UP) for k in keys[1:]}
    shares[keys[0]] = refund.amount - sum(shares.values(), Decimal(0))  # the cents left go to the largest
    label = f"Refund of {refund.invoice.number}" + (f": {refund.reason}" if refund.reason else "")
    return [(first[k], label, shares[k]) for k in keys if shares[k] > 0]


def _quantity(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"

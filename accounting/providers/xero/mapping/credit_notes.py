"""Refunds → Xero sales credit notes (ACCRECCREDIT) and their allocations to invoices.

Pure functions: no calls to Xero here. The caller has resolved each line's account and tax type
from the channel's books; the credit note is AUTHORISED at once, as a refund happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from xero_python.accounting.models import (
    Allocation,
    Contact,
    CreditNote,
    CurrencyCode,
    Invoice,
    LineAmountTypes,
    LineItem,
)

from accounting.providers.xero.mapping.tracking import TrackingChoice, lines_track
from accounting.providers.xero.values import XeroStatus


@dataclass(frozen=True)
class CreditLine:
    """One line of a credit note: its tax-inclusive amount, account and tax type."""

    description: str
    amount: Decimal
    account_code: str
    tax_type: str = ""
    tracking: TrackingChoice | None = None


def credit_note_payload(
    *,
    contact_id: str,
    date: dt.date,
    number: str,
    reference: str,
    currency_code: str,
    lines: Iterable[CreditLine],
    no_tax: bool,
) -> CreditNote:
    """Return the AUTHORISED ACCRECCREDIT credit note of `lines` (tax-inclusive amounts, or no tax
    at all with `no_tax`) to the contact `contact_id`, numbered `number`."""
    items = []
    for line in lines:
        item = LineItem(
            description=line.description[:4000], quantity=1, unit_amount=float(line.amount),
            account_code=line.account_code,
        )  # fmt: skip
        if not no_tax:
            item.tax_type = line.tax_type
        lines_track([item], line.tracking)
        items.append(item)
    return CreditNote(
        type="ACCRECCREDIT",
        contact=Contact(contact_id=contact_id),
        date=date,
        status=XeroStatus.AUTHORISED.value,
        line_amount_types=LineAmountTypes("NoTax" if no_tax else "Inclusive"),
        line_items=items,
        credit_note_number=number,
        reference=reference,
        currency_code=CurrencyCode(currency_code),
    )


def allocation_payload(*, invoice_id: str, amount: Decimal, date: dt.date) -> Allocation:
    """Return the allocation of `amount` of a credit note's credit to the Xero invoice `invoice_id`."""
    return Allocation(invoice=Invoice(invoice_id=invoice_id), amount=float(amount), date=date)

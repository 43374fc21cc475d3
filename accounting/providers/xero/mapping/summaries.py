"""A store day as one Xero sales invoice (posting per day): the day's store invoices summed by
(account, tax type, tracking option), adjustments to earlier days as their own dated lines, and a
rounding line where Xero's tax on the sums differs from the store's totals.

Pure functions: no calls to Xero here. What a store invoice adds to a summary (its
`contribution`) is the lines `lines.invoice_lines` plans for it, less its own rounding line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from xero_python.accounting.models import Contact, Invoice, LineAmountTypes, LineItem

from accounting.providers.xero import totals
from accounting.providers.xero.mapping.common import LineAccountUnset, currency
from accounting.providers.xero.mapping.lines import PlannedLines
from accounting.providers.xero.mapping.tracking import TrackingChoice, lines_track
from accounting.providers.xero.totals import XeroLine
from accounting.providers.xero.values import XeroStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class SummaryLine:
    """One line of a summary: an account, tax type and rate, a tracking option, the summed amount."""

    account_code: str
    tax_type: str
    rate: Decimal
    tracking: TrackingChoice | None
    amount: Decimal
    adjusts: dt.date | None = None  # an adjustment line of this earlier day

    def description(self, *, day: dt.date) -> str:
        what = f"Adjustment to {self.adjusts:%d %b %Y} sales" if self.adjusts else f"Sales {day:%d %b %Y}"
        parts = [what, f"account {self.account_code}"]
        if self.tax_type:
            parts.append(self.tax_type)
        if self.tracking is not None:
            parts.append(self.tracking.label)
        return " · ".join(parts)


@dataclass(frozen=True)
class SummaryRounding:
    """Where a summary's rounding line goes (the channel's rounding account, its 0% tax type)."""

    account_code: str = ""
    tax_type: str = ""


def line_key(*, account: str, tax_type: str, rate: Decimal, tracking: TrackingChoice | None) -> str:
    """Return the key a summary sums amounts under (JSON: it is kept in the ledger's entries)."""
    track = [tracking.category_id, tracking.category_name, tracking.option_id, tracking.option_name] if tracking else []
    return json.dumps([account, tax_type, str(Decimal(rate).quantize(Decimal("0.01"))), *track])


def key_parts(key: str) -> tuple[str, str, Decimal, TrackingChoice | None]:
    account, tax_type, rate, *track = json.loads(key)
    return account, tax_type, Decimal(rate), TrackingChoice(*track) if track else None


def contribution(planned: PlannedLines, *, tracking: TrackingChoice | None) -> dict[str, Decimal]:
    """Return what a store invoice adds to its day's summary: its line amounts (as Xero computes
    each line's) summed by summary line key; its own rounding line is left out (the summary
    rounds once, on its own lines)."""
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for item, money in zip(planned.items, planned.money, strict=False):
        key = line_key(account=item.account_code or "", tax_type=item.tax_type or "", rate=money.tax_rate,
                       tracking=tracking)  # fmt: skip
        sums[key] += totals.line_amount(money)
    return dict(sums)


def summary_lines_plan(
    *,
    day: dt.date,
    parts: Iterable[tuple[Mapping[str, Decimal], dt.date | None]],
    amounts: str,
    store_total: Decimal,
    rounding: SummaryRounding,
    tracking: TrackingChoice | None,
) -> tuple[list[LineItem], Decimal]:
    """Return a summary's lines and its rounding amount from its entries' `parts` ({key: amount},
    the day an adjustment corrects or None): one line per (adjusted day, key) with a non-zero sum,
    then a rounding line (tracked like the rest) where Xero's total would differ from the store's.

    Raise LineAccountUnset when a rounding line is needed and no rounding account is chosen.
    """
    sums: dict[tuple[dt.date | None, str], Decimal] = defaultdict(lambda: ZERO)
    for amounts_by_key, adjusts in parts:
        for key, amount in amounts_by_key.items():
            sums[(adjusts, key)] += Decimal(amount)
    lines: list[SummaryLine] = []
    for (adjusts, key), amount in sorted(sums.items(), key=lambda kv: (kv[0][0] or dt.date.min, kv[0][1])):
        if amount:
            account, tax_type, rate, track = key_parts(key)
            lines.append(SummaryLine(account, tax_type, rate, track, amount, adjusts))
    items = [
        LineItem(
            description=line.description(day=day)[:4000], quantity=Decimal("1.0000"), unit_amount=line.amount,
            account_code=line.account_code or None, tax_type=(line.tax_type or None) if amounts != "NoTax" else None,
            tracking=None,
        )
        for line in lines
    ]  # fmt: skip
    for item, line in zip(items, lines, strict=True):
        lines_track([item], line.tracking)
    xero = totals.xero_totals(
        [XeroLine(quantity=Decimal(1), unit_amount=line.amount, tax_rate=line.rate) for line in lines], amounts=amounts
    )
    difference = totals.cents(store_total) - xero.total
    if difference:
        if not rounding.account_code:
            raise LineAccountUnset(
                f"Xero computes tax per line and would total this summary {xero.total}, the store's invoices "
                f"total {totals.cents(store_total)}: choose a rounding account under Line accounts on the "
                "channel page, and a rounding line will close the difference."
            )
        item = LineItem(
            description="Rounding", quantity=Decimal("1.0000"), unit_amount=difference,
            account_code=rounding.account_code,
        )  # fmt: skip
        if amounts != "NoTax" and rounding.tax_type:
            item.tax_type = rounding.tax_type
        lines_track([item], tracking)
        items.append(item)
    return items, difference


def summary_payload(
    *,
    number: str,
    contact_id: str,
    day: dt.date,
    currency_code: str,
    amounts: str,
    items: list[LineItem],
    reference: str,
    invoice_id: str = "",
) -> Invoice:
    """Return the summary as an AUTHORISED sales invoice dated and due on its day (the day's
    payments are applied to it at once)."""
    payload = Invoice(
        type="ACCREC",
        contact=Contact(contact_id=contact_id),
        line_items=items,
        date=day,
        due_date=day,
        line_amount_types=LineAmountTypes(amounts),
        invoice_number=number,
        reference=reference[:255],
        currency_code=currency(currency_code),
        status=XeroStatus.AUTHORISED.value,
    )
    if invoice_id:
        payload.invoice_id = invoice_id
    return payload

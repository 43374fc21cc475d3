"""What a Xero organisation holds for a range of dates, read as lightly as Xero allows (reconciliation).

Each resource is read in pages of `PAGE_SIZE` narrowed to the dates by a `where` filter on `Date`
(a field Xero serves efficiently even to high-volume organisations), invoices as `summaryOnly`
(no lines: the status and amounts are all a reconciliation needs). With `since`, only what changed
after it is read (`If-Modified-Since`, any date: a record whose date moved is seen too), to bring an
earlier snapshot up to date. Each page comes back as plain `Held` records, so nothing above the
provider sees an SDK model (`held_dump`/`held_load` keep them as JSON). The client counts the calls
and the bytes Xero answered (`XeroTransport.calls`, `bytes_read`).

Xero: Invoices "Paging … up to 100 invoices per page … pageSize up to 1000", "summaryOnly=true …
a smaller version of the response object" (the Invoices page); Payments, CreditNotes and
BankTransactions page the same way; BankTransfers has no paging (one read per range).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.values import text

# Records per page (Xero's largest pageSize).
PAGE_SIZE = 1000


class HeldKind:
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    BANK_TRANSACTION = "bank_transaction"
    BANK_TRANSFER = "bank_transfer"


@dataclass(frozen=True)
class Held:
    """One record as Xero holds it: enough to compare with the store's."""

    kind: str
    xero_id: str
    number: str
    date: dt.date | None
    currency: str
    total: Decimal
    status: str
    amount_paid: Decimal = Decimal("0.00")
    amount_credited: Decimal = Decimal("0.00")
    updated: dt.datetime | None = None


def held_dump(held: Held) -> list[str]:
    """Return `held` as a JSON-able list (a reconciliation's snapshot)."""
    return [held.kind, held.number, held.date.isoformat() if held.date else "", held.currency, str(held.total),
            held.status, str(held.amount_paid), str(held.amount_credited)]  # fmt: skip


def held_load(xero_id: str, values: list[str]) -> Held:
    """Return the `Held` record `held_dump` made."""
    kind, number, date, currency, total, status, paid, credited = values
    return Held(
        kind=kind, xero_id=xero_id, number=number, date=dt.date.fromisoformat(date) if date else None,
        currency=currency, total=Decimal(total), status=status, amount_paid=Decimal(paid),
        amount_credited=Decimal(credited),
    )  # fmt: skip


def dated_where(
    date_from: dt.date, date_to: dt.date, *, also: str = "", since: dt.datetime | None = None
) -> str | None:
    """Return Xero's `where` filter of records dated `date_from`..`date_to` (inclusive) and `also`;
    with `since` (an If-Modified-Since read), `also` alone (None when there is none)."""
    if since is not None:
        return also or None
    dates = (
        f"Date>=DateTime({date_from.year},{date_from.month:02d},{date_from.day:02d})"
        f" AND Date<=DateTime({date_to.year},{date_to.month:02d},{date_to.day:02d})"
    )
    return f"{also} AND {dates}" if also else dates


def aware(value: dt.datetime) -> dt.datetime:
    """Return Xero's timestamp as an aware datetime (the SDK gives Xero's UTC times naive)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def pages_estimate(records: int) -> int:
    """Return how many paged reads `records` records of one resource take (one at least)."""
    return max(1, -(-records // PAGE_SIZE))


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _held_pages(fetch: Any, convert: Any, *, where: str | None, since: dt.datetime | None) -> Iterator[list[Held]]:
    """Yield each page `fetch(where=…, page=…, page_size=…, since=…)` answers ((records, Xero's page
    count)) as `Held` records, up to the last page Xero counts (or the first short page where it
    gives no count)."""
    page = 1
    while True:
        records, page_count = fetch(where=where, page=page, page_size=PAGE_SIZE, since=since)
        yield [convert(record) for record in records]
        last = page >= page_count if page_count is not None else len(records) < PAGE_SIZE
        if last:
            return
        page += 1


def _invoice(i: Any) -> Held:
    return Held(
        kind=HeldKind.INVOICE, xero_id=str(i.invoice_id), number=i.invoice_number or "", date=_date(i.date),
        currency=text(i.currency_code), total=_money(i.total), status=text(i.status),
        amount_paid=_money(i.amount_paid), amount_credited=_money(i.amount_credited), updated=i.updated_date_utc,
    )  # fmt: skip


def _credit_note(n: Any) -> Held:
    return Held(
        kind=HeldKind.CREDIT_NOTE, xero_id=str(n.credit_note_id), number=n.credit_note_number or "",
        date=_date(n.date), currency=text(n.currency_code), total=_money(n.total), status=text(n.status),
        updated=n.updated_date_utc,
    )  # fmt: skip


def _payment(p: Any) -> Held:
    return Held(
        kind=HeldKind.PAYMENT, xero_id=str(p.payment_id), number=p.reference or "", date=_date(p.date),
        currency="", total=_money(p.amount), status=text(p.status), updated=p.updated_date_utc,
    )  # fmt: skip


def _bank_transaction(t: Any) -> Held:
    return Held(
        kind=HeldKind.BANK_TRANSACTION, xero_id=str(t.bank_transaction_id), number=t.reference or "",
        date=_date(t.date), currency=text(t.currency_code), total=_money(t.total), status=text(t.status),
        updated=t.updated_date_utc,
    )  # fmt: skip


def sales_invoices_held(
    client: XeroClient, *, date_from: dt.date, date_to: dt.date, since: dt.datetime | None = None
) -> Iterator[list[Held]]:
    """Yield, page by page, the sales invoices (ACCREC) dated in the range, as summaries."""
    where = dated_where(date_from, date_to, also='Type=="ACCREC"', since=since)
    return _held_pages(client.invoices_page, _invoice, where=where, since=since)


def credit_notes_held(
    client: XeroClient, *, date_from: dt.date, date_to: dt.date, since: dt.datetime | None = None
) -> Iterator[list[Held]]:
    """Yield, page by page, the sales credit notes (ACCRECCREDIT) dated in the range."""
    where = dated_where(date_from, date_to, also='Type=="ACCRECCREDIT"', since=since)
    return _held_pages(client.credit_notes_page, _credit_note, where=where, since=since)


def payments_held(
    client: XeroClient, *, date_from: dt.date, date_to: dt.date, since: dt.datetime | None = None
) -> Iterator[list[Held]]:
    """Yield, page by page, the payments dated in the range (deleted ones say so in `status`)."""
    return _held_pages(client.payments_page, _payment, where=dated_where(date_from, date_to, since=since), since=since)


def bank_transactions_held(
    client: XeroClient, *, date_from: dt.date, date_to: dt.date, since: dt.datetime | None = None
) -> Iterator[list[Held]]:
    """Yield, page by page, the spend and receive money transactions dated in the range."""
    where = dated_where(date_from, date_to, since=since)
    return _held_pages(client.bank_transactions_page, _bank_transaction, where=where, since=since)


def bank_transfers_held(
    client: XeroClient, *, date_from: dt.date, date_to: dt.date, since: dt.datetime | None = None
) -> Iterator[list[Held]]:
    """Yield the bank transfers dated in the range (one read: BankTransfers has no paging)."""
    transfers = client.bank_transfers_where(where=dated_where(date_from, date_to, since=since), since=since)
    yield [
        Held(
            kind=HeldKind.BANK_TRANSFER,
            xero_id=str(t.bank_transfer_id),
            number=t.reference or "",
            date=_date(t.date),
            currency="",
            total=_money(t.amount),
            status=text(t.status) or "AUTHORISED",
            updated=t.created_date_utc,
        )
        for t in transfers
    ]

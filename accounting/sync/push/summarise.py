"""Posting per day: the claimed invoice and payment rows of days a channel posts as one summary
invoice go into their day's summary (`DailySummary`) instead of to Xero one by one.

What a store invoice adds to a summary is an entry (`SummaryEntry`): its line amounts by summary
line (account, tax type, tracking option) and its total. When it changes, only the difference is
added: to its own day's summary while Xero allows changing that (not sent yet, or sent with no
payment applied), otherwise as a dated adjustment to the next summary still open. So an invoice's
entries always sum to what the store says now: never lost, never counted twice. Payments of a
summarised invoice join its summary as entries; the summary's push sends them one per method.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounting.books.cache import sales_account_code
from accounting.books.line_accounts import channel_line_accounts
from accounting.books.posting import channel_summarises, mode_on, posting_periods
from accounting.books.tracking import channel_tracking_row, invoice_tracking
from accounting.models import AccountingChannel, PostingMode
from accounting.providers.xero import mapping
from accounting.providers.xero.client import XeroClient
from accounting.sync.ledger.writes import ledger_summary_due
from accounting.sync.models import (
    SUMMARISED,
    AttemptOutcome,
    DailySummary,
    EntryKind,
    RecordKind,
    SummaryEntry,
    SyncRecord,
    WaitingFor,
)
from accounting.sync.push.invoice_books import with_enabled_currency, with_tax_types
from accounting.sync.push.outcomes import Outcome, rejected, skipped, synced, waiting
from stores.models import Invoice, InvoiceStatus, Payment, PaymentSource, Store

ZERO = Decimal("0.00")
Pair = tuple[SyncRecord, Invoice]


class SummaryStop(Exception):
    """A summary (or a record joining one) cannot go on now: its row takes this outcome; the steps
    done stay done."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.message)
        self.outcome = outcome


def summary_number(*, channel: AccountingChannel, day: dt.date, currency: str, tax_mode: str) -> str:
    """Return the InvoiceNumber of a summary: the channel's prefix, "DAY-", the day, the currency
    (and the tax mode when not the usual tax-exclusive one)."""
    mode = "" if tax_mode == "exclusive" else f"-{tax_mode.upper().replace('_', '')}"
    return f"{channel.invoice_number_prefix}DAY-{day:%Y%m%d}-{currency}{mode}"


def summarised_message(summary: DailySummary) -> str:
    return f"In the daily summary of {summary.day:%d %b %Y} ({summary.currency}), {summary.number}."


def summary_open(summary: DailySummary) -> bool:
    """Return whether Xero still lets the summary change: not sent yet, or sent with nothing paid."""
    if not summary.xero_id:
        return True
    return not summary.entries.filter(kind__in=[EntryKind.PAYMENT, EntryKind.REFUND], sent=True).exists()


def summary_due_at(*, channel: AccountingChannel, store: Store, day: dt.date) -> dt.datetime:
    """Return when the summary of `day` may go: the day's end in the store's zone, plus the grace."""
    closes = store.day_end(day) + dt.timedelta(minutes=channel.summary_grace_minutes)
    return max(closes, timezone.now())


def summary_for(*, channel: AccountingChannel, day: dt.date, currency: str, tax_mode: str) -> DailySummary:
    summary, _created = DailySummary.objects.get_or_create(
        channel=channel, day=day, currency=currency, tax_mode=tax_mode,
        defaults={"number": summary_number(channel=channel, day=day, currency=currency, tax_mode=tax_mode)},
    )  # fmt: skip
    return summary


def _summarised_pairs(*, channel: AccountingChannel, pairs: list[Pair]) -> list[Pair]:
    periods = posting_periods(channel=channel)
    return [
        (row, invoice) for row, invoice in pairs if mode_on(periods, invoice.issue_date) == PostingMode.DAILY_SUMMARY
    ]


def invoices_summarise(
    *, channel: AccountingChannel, client: XeroClient, rows: list[SyncRecord], invoices: dict[Any, Invoice],
    outcomes: dict[int, Outcome],
) -> list[SyncRecord]:  # fmt: skip
    """Put the rows' invoices of days posted per day into their summaries (each row's outcome set);
    return the rows left to send one by one."""
    if not channel_summarises(channel=channel):
        return rows
    pairs = [(row, invoices[row.object_id]) for row in rows if row.object_id in invoices]
    mine = _summarised_pairs(channel=channel, pairs=pairs)
    if not mine:
        return rows
    taken = {row.pk for row, _i in mine}
    live = [(row, invoice) for row, invoice in mine if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)]
    account = sales_account_code(channel=channel, client=client)
    accounts = channel_line_accounts(channel=channel, sales=account)
    tax_types, live = with_tax_types(channel=channel, client=client, pairs=live, outcomes=outcomes, accounts=accounts)
    live = with_enabled_currency(channel=channel, client=client, pairs=live, outcomes=outcomes) if live else live
    tracking = channel_tracking_row(channel=channel)
    wanted: list[tuple[SyncRecord, Invoice, dict[str, Decimal], Decimal]] = []
    for row, invoice in mine:
        if row.pk in outcomes:
            continue
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            # Not (or no longer) a sale: it adds nothing, and takes back what it added.
            wanted.append((row, invoice, {}, ZERO))
            continue
        try:
            planned = mapping.invoice_lines(invoice=invoice, accounts=accounts, item_codes=set(), tax_types=tax_types)
        except mapping.LineAccountUnset as exc:
            outcomes[row.pk] = waiting(on=WaitingFor.LINE_ACCOUNTS, messages=[str(exc)])
            continue
        except mapping.TaxTypeUnmapped as exc:
            outcomes[row.pk] = waiting(on=WaitingFor.TAX_MAPPING, messages=[str(exc)])
            continue
        except mapping.MappingError as exc:
            outcomes[row.pk] = rejected(messages=[str(exc)], http_status=None, attempt=AttemptOutcome.LOCAL)
            continue
        choice = invoice_tracking(tracking, country=invoice.customer_country)
        wanted.append((row, invoice, mapping.contribution(planned, tracking=choice), Decimal(invoice.total)))
    with transaction.atomic():
        batch = _Batch(channel)
        held = _invoice_entries_held(channel=channel, invoice_ids=[invoice.pk for _r, invoice, _l, _t in wanted])
        for row, invoice, lines, total in wanted:
            summary = _invoice_entries_set(
                batch=batch, invoice=invoice, entries=held.get(invoice.pk, []), lines=lines, total=total
            )
            if summary is None:
                outcomes[row.pk] = skipped(
                    reason="The invoice is a draft or void in the store and was never summarised."
                )
            else:
                outcomes[row.pk] = synced(
                    xero_id="", payload_hash="", xero_status=SUMMARISED, message=summarised_message(summary)
                )
        batch.write()
    return [row for row in rows if row.pk not in taken]


class _Batch:
    """The writes of one batch of rows to the summaries, done once each: every summary looked up
    (and whether Xero still lets it change) once, the new entries inserted in one statement, and
    each summary's row made due once, after the batch's entries (one transaction: the same end
    state as a write per record, without a summary look-up and three writes of its row per record)."""

    def __init__(self, channel: AccountingChannel):
        self.channel = channel
        self.summaries: dict[tuple[dt.date, str, str], DailySummary] = {}
        self.open: dict[int, bool] = {}
        self.new: list[SummaryEntry] = []
        self.due: dict[int, DailySummary] = {}

    def summary(self, *, day: dt.date, currency: str, tax_mode: str) -> DailySummary:
        key = (day, currency, tax_mode)
        if key not in self.summaries:
            self.summaries[key] = summary_for(channel=self.channel, day=day, currency=currency, tax_mode=tax_mode)
        return self.summaries[key]

    def is_open(self, summary: DailySummary) -> bool:
        if summary.pk not in self.open:
            self.open[summary.pk] = summary_open(summary)
        return self.open[summary.pk]

    def add(self, entry: SummaryEntry) -> None:
        self.new.append(entry)
        self.changed(entry.summary)

    def changed(self, summary: DailySummary) -> None:
        self.due.setdefault(summary.pk, summary)

    def write(self) -> None:
        SummaryEntry.objects.bulk_create(self.new)
        self.new = []
        channel = self.channel
        for summary in self.due.values():
            due_at = summary_due_at(channel=channel, store=channel.store, day=summary.day)
            ledger_summary_due(channel_id=channel.pk, summary_id=summary.pk, due_at=due_at)
        self.due = {}


def _invoice_entries_held(*, channel: AccountingChannel, invoice_ids: list[int]) -> dict[int, list[SummaryEntry]]:
    """Return the invoices' entries (with their summaries), locked until the transaction ends."""
    held: dict[int, list[SummaryEntry]] = defaultdict(list)
    entries = (
        SummaryEntry.objects.select_for_update()
        .filter(kind=EntryKind.INVOICE, invoice_id__in=invoice_ids, summary__channel=channel)
        .select_related("summary")
    )
    for entry in entries:
        held[entry.invoice_id].append(entry)
    return held


def _invoice_entries_set(
    *, batch: _Batch, invoice: Invoice, entries: list[SummaryEntry], lines: dict[str, Decimal], total: Decimal
) -> DailySummary | None:
    """Make the invoice's entries (`entries`, locked) sum to `lines` and `total`; return the summary
    holding its own day's entry (None for an invoice that adds nothing and never did)."""
    held: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        for key, amount in entry.lines.items():
            held[key] += Decimal(amount)
    delta = {key: lines.get(key, ZERO) - held.get(key, ZERO) for key in set(lines) | set(held)}
    delta = {key: amount for key, amount in delta.items() if amount}
    delta_total = total - sum((entry.total for entry in entries), ZERO)
    own = next((entry for entry in entries if entry.adjusts is None), None)
    if not entries and not lines and not total:
        return None
    if not delta and not delta_total:
        return own.summary if own is not None else entries[0].summary
    home = own.summary if own is not None else None
    if home is None:
        home = batch.summary(day=invoice.issue_date, currency=invoice.currency, tax_mode=invoice.tax_mode)
    if batch.is_open(home):
        entry = own or SummaryEntry(
            summary=home, kind=EntryKind.INVOICE, object_id=invoice.pk, invoice_id=invoice.pk, total=ZERO, lines={}
        )
        entry.lines = _plus(entry.lines, delta)
        entry.total = entry.total + delta_total
        entry.number = invoice.number
        entry.sent = False
        if own is None:
            batch.add(entry)
        else:
            entry.save()
            batch.changed(home)
    else:
        batch.add(
            SummaryEntry(
                summary=_open_later(batch=batch, invoice=invoice), kind=EntryKind.INVOICE, object_id=invoice.pk,
                invoice_id=invoice.pk, number=invoice.number, adjusts=invoice.issue_date, lines=_plus({}, delta),
                total=delta_total,
            )
        )  # fmt: skip
    return home


def _plus(lines: dict[str, Any], delta: dict[str, Decimal]) -> dict[str, str]:
    summed: dict[str, Decimal] = defaultdict(lambda: ZERO, {key: Decimal(amount) for key, amount in lines.items()})
    for key, amount in delta.items():
        summed[key] += amount
    return {key: str(amount) for key, amount in summed.items() if amount}


def _open_later(*, batch: _Batch, invoice: Invoice) -> DailySummary:
    """Return the first summary after the invoice's day, from the store's today on, that Xero
    still lets change: where an adjustment to a closed day goes."""
    day = max(batch.channel.store.today(), invoice.issue_date + dt.timedelta(days=1))
    while True:
        summary = batch.summary(day=day, currency=invoice.currency, tax_mode=invoice.tax_mode)
        if batch.is_open(summary):
            return summary
        day += dt.timedelta(days=1)


def payments_summarise(
    *, channel: AccountingChannel, rows: list[SyncRecord], outcomes: dict[int, Outcome]
) -> list[SyncRecord]:
    """Put the payments of summarised invoices into their invoices' summaries (each row's outcome
    set); return the rows left to send one by one."""
    if not channel_summarises(channel=channel):
        return rows
    parents = dict(
        SyncRecord.objects.filter(
            channel=channel, kind=RecordKind.INVOICE, object_id__in={row.parent_id for row in rows},
            xero_status=SUMMARISED,
        ).values_list("object_id", "pk")
    )  # fmt: skip
    mine = [row for row in rows if row.parent_id in parents]
    if not mine:
        return rows
    payments = Payment.objects.select_related("invoice").in_bulk([row.object_id for row in mine])
    homes = {
        entry.invoice_id: entry.summary
        for entry in SummaryEntry.objects.filter(
            kind=EntryKind.INVOICE, invoice_id__in=list(parents), adjusts__isnull=True, summary__channel=channel
        ).select_related("summary")
    }
    with transaction.atomic():
        batch = _Batch(channel)
        # The payments already in their summary (a row sent again) are not added twice.
        joined = set(
            SummaryEntry.objects.filter(
                kind=EntryKind.PAYMENT, object_id__in=list(payments), summary_id__in={h.pk for h in homes.values()}
            ).values_list("summary_id", "object_id")
        )  # fmt: skip
        for row in mine:
            payment = payments.get(row.object_id)
            home = homes.get(row.parent_id or 0)
            if payment is None:
                outcomes[row.pk] = skipped(reason="The payment was deleted from the store.")
            elif payment.source == PaymentSource.XERO:
                outcomes[row.pk] = skipped(reason="The payment was made in Xero: nothing to send back.")
            elif home is None:
                outcomes[row.pk] = skipped(reason="The invoice is not in a daily summary: nothing to pay.")
            else:
                if (home.pk, payment.pk) not in joined:
                    joined.add((home.pk, payment.pk))
                    batch.add(
                        SummaryEntry(
                            summary=home, kind=EntryKind.PAYMENT, object_id=payment.pk, invoice_id=payment.invoice_id,
                            number=payment.invoice.number, total=payment.amount, method=payment.method,
                        )
                    )  # fmt: skip
                outcomes[row.pk] = synced(
                    xero_id="", payload_hash="", xero_status=SUMMARISED, message=summarised_message(home)
                )
        batch.write()
    return [row for row in rows if row not in mine]

"""The refunds of a day posted as one summary invoice: gathered into the summary of their invoice's
day, then sent as one credit note per sending (lines summed by account, tax type and tracking
option, tax-inclusive), its credit kept by customers allocated to the summary (at most what it
owes in Xero), the money returned paid out of it once per method.

Each step's Xero id is saved on the summary (`xero_refs`) as soon as Xero accepted it; the credit
note's number is saved before its write, so a lost answer is looked up by it before any resend.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounting.books.cache import sales_account_code
from accounting.books.line_accounts import channel_line_accounts
from accounting.books.payment_accounts import payment_account_for, payment_account_missing_message
from accounting.books.posting import channel_summarises
from accounting.books.tax_mapping import channel_tax_types_resolve
from accounting.books.tracking import channel_tracking_row, invoice_tracking
from accounting.models import AccountingChannel, line_tax_key, payment_method_key
from accounting.providers.xero import mapping
from accounting.providers.xero.answers import element_refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.values import CLOSED, text
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
from accounting.sync.push.base import Push
from accounting.sync.push.outcomes import Outcome, rejected, skipped, synced, waiting
from accounting.sync.push.refund_lines import NoLineToRefund, refund_parts
from accounting.sync.push.summarise import SummaryStop, summarised_message, summary_due_at
from stores.models import InvoiceLine, Refund

ZERO = Decimal("0.00")


def refunds_summarise(
    *, channel: AccountingChannel, client: XeroClient, rows: list[SyncRecord], outcomes: dict[int, Outcome]
) -> list[SyncRecord]:
    """Put the refunds of summarised invoices into their invoices' summaries (each row's outcome
    set); return the rows left to send as credit notes of their own."""
    if not channel_summarises(channel=channel):
        return rows
    parents = set(
        SyncRecord.objects.filter(
            channel=channel, kind=RecordKind.INVOICE, object_id__in={row.parent_id for row in rows},
            xero_status=SUMMARISED,
        ).values_list("object_id", flat=True)
    )  # fmt: skip
    mine = [row for row in rows if row.parent_id in parents]
    if not mine:
        return rows
    refunds = (
        Refund.objects.select_related("invoice")
        .prefetch_related("lines__invoice_line")
        .in_bulk([row.object_id for row in mine])
    )
    homes = {
        entry.invoice_id: entry.summary
        for entry in SummaryEntry.objects.filter(
            kind=EntryKind.INVOICE, invoice_id__in=parents, adjusts__isnull=True, summary__channel=channel
        ).select_related("summary")
    }
    account = sales_account_code(channel=channel, client=client)
    tracking = channel_tracking_row(channel=channel)
    wanted: list[tuple[SyncRecord, Refund, DailySummary, dict[str, str]]] = []
    for row in mine:
        refund, home = refunds.get(row.object_id), homes.get(row.parent_id or 0)
        if refund is None or home is None:
            outcomes[row.pk] = skipped(reason="The refund or its invoice's summary was removed.")
            continue
        try:
            lines = _credit_lines(channel=channel, client=client, refund=refund, account=account, tracking=tracking)
        except SummaryStop as stop:
            outcomes[row.pk] = stop.outcome
            continue
        wanted.append((row, refund, home, lines))
    with transaction.atomic():
        for row, refund, home, lines in wanted:
            _, created = SummaryEntry.objects.get_or_create(
                summary=home, kind=EntryKind.REFUND, object_id=refund.pk,
                defaults={"invoice_id": refund.invoice_id, "number": refund.invoice.number, "total": refund.amount,
                          "method": refund.method, "lines": lines},
            )  # fmt: skip
            if created:
                due = summary_due_at(channel=channel, store=channel.store, day=home.day)
                ledger_summary_due(channel_id=channel.pk, summary_id=home.pk, due_at=due)
            outcomes[row.pk] = synced(
                xero_id="", payload_hash="", xero_status=SUMMARISED, message=summarised_message(home)
            )
    taken = {row.pk for row in mine}
    return [row for row in rows if row.pk not in taken]


def _credit_lines(
    *, channel: AccountingChannel, client: XeroClient, refund: Refund, account: str, tracking: Any
) -> dict[str, str]:
    """Return the refund's tax-inclusive credit by summary line key."""
    invoice = refund.invoice
    try:
        parts = refund_parts(
            refund=refund, invoice_lines=list(InvoiceLine.objects.filter(invoice=invoice).order_by("pk"))
        )
    except NoLineToRefund as exc:
        raise SummaryStop(rejected(messages=[str(exc)], http_status=None, attempt=AttemptOutcome.LOCAL)) from None
    no_tax = invoice.tax_mode == "no_tax"
    tax_types: dict[Any, str] = {}
    if not no_tax:
        resolution = channel_tax_types_resolve(
            channel=channel, client=client, keys={line_tax_key(line) for line, _d, _a in parts},
            accounts=channel_line_accounts(channel=channel, sales=account),
        )  # fmt: skip
        if resolution.problems:
            messages = sorted(set(resolution.problems.values()))
            raise SummaryStop(waiting(on=WaitingFor.TAX_MAPPING, messages=messages))
        tax_types = resolution.tax_types
    choice = invoice_tracking(tracking, country=invoice.customer_country)
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line, _description, amount in parts:
        tax_type = "" if no_tax else tax_types[line_tax_key(line)]
        sums[mapping.line_key(account=account, tax_type=tax_type, rate=line.tax_rate, tracking=choice)] += amount
    return {key: str(amount) for key, amount in sums.items()}


def refunds_send(
    *, step: Push, row: SyncRecord, summary: DailySummary, entries: list[SummaryEntry], contact_id: str
) -> None:
    """Send the summary's refunds not sent yet: a credit note, its allocation, its refund payments."""
    refunds = [entry for entry in entries if entry.kind == EntryKind.REFUND and not entry.sent]
    if not refunds:
        return
    notes: dict[str, Any] = summary.xero_refs.setdefault("credit_notes", {})
    fresh = [entry for entry in refunds if not entry.xero_ref]
    if fresh:
        number = f"{summary.number}-CN{len(notes) + 1}"
        notes[number] = {"entries": [entry.pk for entry in fresh]}
        _keep(summary)  # before the write: a look-up after a lost answer asks for this number
        for entry in fresh:
            entry.xero_ref = f"number:{number}"
        SummaryEntry.objects.filter(pk__in=[e.pk for e in fresh]).update(xero_ref=f"number:{number}")
    for number, note in list(notes.items()):
        grouped = [entry for entry in refunds if entry.xero_ref in (f"number:{number}", note.get("id"))]
        if grouped:
            _note_send(step=step, row=row, summary=summary, number=number, note=note, grouped=grouped,
                       contact_id=contact_id)  # fmt: skip


def _keep(summary: DailySummary) -> None:
    DailySummary.objects.filter(pk=summary.pk).update(xero_refs=summary.xero_refs)


def _note_send(
    *, step: Push, row: SyncRecord, summary: DailySummary, number: str, note: dict[str, Any],
    grouped: list[SummaryEntry], contact_id: str,
) -> None:  # fmt: skip
    client = step.client
    refunds = Refund.objects.in_bulk([entry.object_id for entry in grouped])
    date = max([summary.day, *(refund.date for refund in refunds.values())])
    if not note.get("id") and row.needs_lookup:
        for found in client.credit_notes_by_number(numbers=[number]):
            if found.credit_note_number == number and found.credit_note_id and text(found.status) not in CLOSED:
                note["id"] = str(found.credit_note_id)
    if not note.get("id"):
        sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for entry in grouped:
            for key, amount in entry.lines.items():
                sums[key] += Decimal(amount)
        lines = []
        for key, amount in sorted(sums.items()):
            account, tax_type, _rate, tracking = mapping.key_parts(key)
            description = f"Refunds {summary.day:%d %b %Y} · account {account}"
            lines.append(
                mapping.CreditLine(
                    description=description, amount=amount, account_code=account, tax_type=tax_type, tracking=tracking
                )
            )
        payload = mapping.credit_note_payload(
            contact_id=contact_id, date=date, number=number, reference=f"Refunds of the summary {summary.number}"[:255],
            currency_code=summary.currency, lines=lines, no_tax=summary.tax_mode == "no_tax",
        )  # fmt: skip
        [element] = step.write(
            "summary-credit-note", parts=[f"{row.pk}:{number}"], rows=[row],
            call=lambda key: client.credit_notes_create(credit_notes=[payload], idempotency_key=key),
        )  # fmt: skip
        refusal = element_refusal(element)
        if refusal is not None:
            raise SummaryStop(rejected(messages=refusal.messages))
        note["id"] = str(element.credit_note_id)
    _keep(summary)
    SummaryEntry.objects.filter(pk__in=[e.pk for e in grouped]).update(xero_ref=note["id"])
    kept = sum((refunds[e.object_id].amount_kept for e in grouped if e.object_id in refunds), ZERO)
    if kept > 0 and "allocation" not in note:
        _allocate(step=step, row=row, summary=summary, note=note, amount=kept, date=date)
        _keep(summary)
    returned: dict[str, list[Refund]] = defaultdict(list)
    for entry in grouped:
        refund = refunds.get(entry.object_id)
        if refund is not None and refund.amount_returned > 0:
            returned[payment_method_key(refund.method)].append(refund)
    paid = note.setdefault("payments", {})
    for method, paid_back in sorted(returned.items()):
        if method in paid:
            continue
        chosen = payment_account_for(channel=step.channel, method=paid_back[0].method)
        if chosen is None:
            message = payment_account_missing_message(method=paid_back[0].method)
            raise SummaryStop(waiting(on=WaitingFor.PAYMENT_ACCOUNTS, messages=[message]))
        payload = mapping.refund_payment_payload(
            credit_note_id=note["id"], account_id=chosen.account_id,
            amount=sum((r.amount_returned for r in paid_back), ZERO), date=date,
            reference=f"{' '.join(paid_back[0].method.split())} refunds {summary.day:%d %b %Y}"[:255],
        )  # fmt: skip
        element = _refund_payment(step=step, row=row, key_part=f"{note['id']}:{method}", payload=payload)
        refusal = element_refusal(element)
        if refusal is not None:
            raise SummaryStop(rejected(messages=refusal.messages))
        paid[method] = str(element.payment_id)
        _keep(summary)
    SummaryEntry.objects.filter(pk__in=[e.pk for e in grouped]).update(sent=True)


def _allocate(*, step: Push, row: SyncRecord, summary: DailySummary, note: dict[str, Any], amount: Decimal,
              date: Any) -> None:  # fmt: skip
    """Allocate the credit kept to the summary, at most what the summary owes in Xero."""
    held = step.client.invoice_by_id(invoice_id=summary.xero_id)
    due = Decimal(str(getattr(held, "amount_due", 0) or 0))
    share = min(amount, due)
    if share <= 0:
        note["allocation"] = ""  # paid off in Xero: the credit stays on the credit note as credit
        return
    allocation = mapping.allocation_payload(invoice_id=summary.xero_id, amount=share, date=date)
    [element] = step.write(
        "summary-allocation", parts=[f"{row.pk}:{note['id']}"], rows=[row],
        call=lambda key: step.client.allocations_create(
            credit_note_id=note["id"], allocations=[allocation], idempotency_key=key
        ),
    )  # fmt: skip
    refusal = element_refusal(element)
    if refusal is not None:
        raise SummaryStop(rejected(messages=refusal.messages))
    note["allocation"] = str(element.allocation_id or "allocated")


def _refund_payment(*, step: Push, row: SyncRecord, key_part: str, payload: Any) -> Any:
    """Pay money returned out of a credit note (one write); return Xero's element."""
    [element] = step.write(
        "summary-refund-payment", parts=[f"{row.pk}:{key_part}"], rows=[row],
        call=lambda key: step.client.payments_create(payments=[payload], idempotency_key=key),
    )  # fmt: skip
    return element

"""Send a claimed batch of refund rows, each in up to three writes Xero needs one after another:

1. a sales credit note (ACCRECCREDIT, AUTHORISED) of the refunded lines or amount, numbered
   `<invoice number>-CN<n>` for the row's look-up should its answer be lost;
2. the allocation to the invoice of the part of the credit not returned as money
   (`amount - amount_returned`, when more than zero): as much as Xero's rules allow, at most the
   invoice's AmountDue (an invoice already paid off keeps the credit on the credit note, as the
   customer's credit);
3. a refund payment (ARCREDITPAYMENT) of `amount_returned` out of the credit note into the
   account chosen for the refund's method, when money went back (more than zero).

A partial refund (say 80.00 credited, 50.00 of it back to the card) is thus one credit note of
80.00, allocated 30.00 to the invoice and paid out 50.00.

So Xero's invoice owes what the store says it does: a credit lowers the balance; money paid back
lowers what was paid, not the balance, and settles the credit note instead.

Each step's Xero id is saved on the row as soon as Xero accepted it (`xero_id`: CreditNoteID;
`xero_refs`: allocation and refund payment), so a retry or a look-up after a lost answer goes on
from the first step not yet done, and never repeats one: a credit note is looked up by its number,
an allocation and a refund payment among the credit note's own Allocations and Payments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounting.books.cache import sales_account_code
from accounting.books.line_accounts import channel_line_accounts
from accounting.books.payment_accounts import payment_account_for, payment_account_missing_message
from accounting.books.tax_mapping import channel_tax_types_resolve
from accounting.books.tracking import channel_tracking_row, invoice_tracking
from accounting.models import AccountingChannel, LineAmountType, line_tax_key
from accounting.providers.xero import mapping
from accounting.providers.xero.answers import element_refusal
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroError
from accounting.providers.xero.values import CLOSED, XeroStatus, text
from accounting.sync.models import AttemptOutcome, RecordKind, SyncRecord, SyncState, WaitingFor
from accounting.sync.push.base import Push, latest_refusal
from accounting.sync.push.outcomes import (
    Outcome,
    backoff_seconds,
    rejected,
    skipped,
    synced,
    waiting,
)
from accounting.sync.push.refund_lines import NoLineToRefund, refund_parts
from accounting.sync.push.summary_refunds import refunds_summarise
from stores.models import InvoiceLine, Refund

CENT = Decimal("0.01")


class _Refused(Exception):
    """A step Xero (or the portal) refused: the row fails with these messages; earlier steps stay."""

    def __init__(self, messages: list[str], *, local: bool = False, waiting_for: str = ""):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.local = local
        self.waiting_for = waiting_for  # WaitingFor: the row waits for the operator's choice

    def outcome(self) -> Outcome:
        if self.waiting_for:
            return waiting(on=self.waiting_for, messages=self.messages)
        attempt = AttemptOutcome.LOCAL if self.local else AttemptOutcome.VALIDATION
        return rejected(messages=self.messages, http_status=None if self.local else 200, attempt=attempt)


class RefundsPush(Push):
    """Send the claimed refund rows of the channel, one after another, each in its steps.

    When a call fails, the row it was for takes the retry policy's outcome; the rows not reached
    wait, without an attempt of theirs."""

    needs_payments_scope = True

    def push(self) -> None:
        refunds = (
            Refund.objects.select_related("invoice")
            .prefetch_related("lines__invoice_line")
            .in_bulk([r.object_id for r in self.rows])
        )
        # Refunds of invoices in a daily summary join it; its push sends them as one credit note.
        rows = refunds_summarise(channel=self.channel, client=self.client, rows=self.rows, outcomes=self.outcomes)
        for row in rows:
            refund = refunds.get(row.object_id)
            if refund is None:
                self.outcomes[row.pk] = skipped(reason="The refund was deleted from the store.")
                continue
            self.current = row.pk
            try:
                self.outcomes[row.pk] = _refund_send(
                    channel=self.channel, client=self.client, row=row, refund=refund, step=self
                )
            except _Refused as exc:
                self.outcomes[row.pk] = exc.outcome()

    current: int | None = None  # the row being sent

    def failure_outcome(self, row: SyncRecord, error: XeroError) -> Outcome:
        if row.pk == self.current:
            return super().failure_outcome(row, error)
        wait = float(getattr(error, "retry_after", 0.0)) or backoff_seconds(1)
        return Outcome(state=SyncState.PENDING, attempt="", wait=wait, count_attempt=False)


def _refund_send(
    *, channel: AccountingChannel, client: XeroClient, row: SyncRecord, refund: Refund, step: Push
) -> Outcome:
    invoice = refund.invoice
    invoice_row = SyncRecord.objects.filter(channel=channel, kind=RecordKind.INVOICE, object_id=invoice.pk).first()
    if invoice_row is None or not invoice_row.xero_id:
        raise _Refused(["The invoice is not in Xero yet."], local=True)
    xero_invoice = client.invoice_by_id(invoice_id=invoice_row.xero_id)
    if xero_invoice is None or text(xero_invoice.status) in CLOSED:
        raise _Refused([f"Xero no longer holds the invoice {invoice_row.xero_number or invoice.number}."])
    found_note: Any = None
    if not row.xero_id:
        # The number a lost write carried (saved before it), else the refund's own.
        number = row.xero_number or credit_note_number(channel=channel, invoice_row=invoice_row, refund=refund)
        if row.needs_lookup:
            found_note = _credit_note_found(client=client, number=number)
        if found_note is None:
            found_note = _credit_note_create(
                channel=channel, client=client, row=row, refund=refund, xero_invoice=xero_invoice, number=number,
                step=step,
            )  # fmt: skip
        _progress(row, xero_id=str(found_note.credit_note_id), xero_number=number)
    note_id = row.xero_id
    done = []
    if refund.amount_kept > 0 and "allocation_id" not in row.xero_refs:
        allocated = _allocate(
            client=client, row=row, note_id=note_id, xero_invoice=xero_invoice, refund=refund, step=step
        )
        done.append(allocated)
    if refund.amount_returned > 0 and "refund_payment_id" not in row.xero_refs:
        done.append(_refund_pay(channel=channel, client=client, row=row, note_id=note_id, refund=refund, step=step))
    message = " ".join(part for part in done if part)
    return synced(xero_id=note_id, payload_hash="", xero_status=XeroStatus.AUTHORISED, message=message)


def credit_note_number(*, channel: AccountingChannel, invoice_row: SyncRecord, refund: Refund) -> str:
    """Return `<the invoice's number in Xero>-CN<n>`, n counting the invoice's refunds (1, 2, …)."""
    invoice_number = invoice_row.xero_number or mapping.xero_invoice_number(channel=channel, invoice=refund.invoice)
    position = Refund.objects.filter(invoice_id=refund.invoice_id, pk__lte=refund.pk).count()
    return f"{invoice_number}-CN{position}"


def _progress(row: SyncRecord, **fields: Any) -> None:
    """Save what Xero just accepted on the row at once (while this turn still holds it), so a crash
    or a failure of a later step never repeats this one."""
    for name, value in fields.items():
        setattr(row, name, value)
    SyncRecord.objects.filter(pk=row.pk, claim=row.claim).update(**fields)


def _credit_note_found(*, client: XeroClient, number: str) -> Any:
    for note in client.credit_notes_by_number(numbers=[number]):
        if (note.credit_note_number or "") == number and text(note.status) not in CLOSED and note.credit_note_id:
            return note
    return None


def _credit_note_create(
    *, channel: AccountingChannel, client: XeroClient, row: SyncRecord, refund: Refund, xero_invoice: Any,
    number: str, step: Push,
) -> Any:  # fmt: skip
    payload = credit_note_payload(
        channel=channel, client=client, refund=refund, contact_id=str(xero_invoice.contact.contact_id), number=number
    )
    _progress(row, xero_number=number)  # before the write: a look-up after a lost answer asks for it
    [element] = step.write(
        "credit-note", parts=[f"{row.pk}:{latest_refusal(row)}"], rows=[row],
        call=lambda key: client.credit_notes_create(credit_notes=[payload], idempotency_key=key),
    )  # fmt: skip
    refusal = element_refusal(element)
    if refusal is not None:
        raise _Refused(refusal.messages)
    if not element.credit_note_id:
        raise _Refused(["Xero did not return a credit note id."])
    return element


def credit_note_payload(
    *, channel: AccountingChannel, client: XeroClient, refund: Refund, contact_id: str, number: str
) -> Any:
    """Return the ACCRECCREDIT credit note of a refund: a line per refunded line (its tax-inclusive
    amount refunded, the line's tax type), or the amount spread over the invoice's tax rates."""
    invoice = refund.invoice
    no_tax = channel.line_amount_type == LineAmountType.NO_TAX
    invoice_lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("pk"))
    try:
        parts = refund_parts(refund=refund, invoice_lines=invoice_lines)
    except NoLineToRefund as exc:
        raise _Refused([str(exc)], local=True) from None
    tax_types: dict[Any, str] = {}
    account = sales_account_code(channel=channel, client=client)
    if not no_tax:
        resolution = channel_tax_types_resolve(
            channel=channel, client=client, keys={line_tax_key(line) for line, _d, _a in parts},
            accounts=channel_line_accounts(channel=channel, sales=account),
        )  # fmt: skip
        if resolution.problems:
            raise _Refused(sorted(set(resolution.problems.values())), local=True, waiting_for=WaitingFor.TAX_MAPPING)
        tax_types = resolution.tax_types
    tracking = invoice_tracking(channel_tracking_row(channel=channel), country=invoice.customer_country)
    lines = [
        mapping.CreditLine(
            description=description, amount=amount, account_code=account,
            tax_type="" if no_tax else tax_types[line_tax_key(line)], tracking=tracking,
        )
        for line, description, amount in parts
    ]  # fmt: skip
    return mapping.credit_note_payload(
        contact_id=contact_id, date=refund.date, number=number,
        reference=(refund.reason or f"Refund of {invoice.number}")[:255], currency_code=invoice.currency,
        lines=lines, no_tax=no_tax,
    )  # fmt: skip


def _allocate(
    *, client: XeroClient, row: SyncRecord, note_id: str, xero_invoice: Any, refund: Refund, step: Push
) -> str:
    """Allocate the credit not returned as money to the invoice (at most what the invoice owes in
    Xero); return a note."""
    if row.needs_lookup:
        note = client.credit_note_by_id(credit_note_id=note_id)
        for allocation in getattr(note, "allocations", None) or []:
            if str(getattr(allocation.invoice, "invoice_id", "")) == str(xero_invoice.invoice_id):
                _refs(row, allocation_id=str(allocation.allocation_id or "found"))
                return ""
    due = Decimal(str(xero_invoice.amount_due or 0))
    amount = min(refund.amount_kept, due)
    if amount <= 0:
        _refs(row, allocation_id="")
        return "The invoice was paid off in Xero: the credit stays on the credit note as the customer's credit."
    allocation = mapping.allocation_payload(invoice_id=str(xero_invoice.invoice_id), amount=amount, date=refund.date)

    def allocate(key: str) -> Any:
        return client.allocations_create(credit_note_id=note_id, allocations=[allocation], idempotency_key=key)

    [element] = step.write("allocation", parts=[f"{row.pk}:{latest_refusal(row)}"], rows=[row], call=allocate)
    refusal = element_refusal(element)
    if refusal is not None:
        raise _Refused(refusal.messages)
    _refs(row, allocation_id=str(element.allocation_id or "allocated"))
    if amount < refund.amount_kept:
        return f"{amount} allocated to the invoice (all it owed in Xero); the rest stays as the customer's credit."
    return ""


def _refund_pay(
    *, channel: AccountingChannel, client: XeroClient, row: SyncRecord, note_id: str, refund: Refund, step: Push
) -> str:
    """Pay the money returned out of the credit note, into the account chosen for the refund's method."""
    account = payment_account_for(channel=channel, method=refund.method)
    if account is None:
        raise _Refused(
            [payment_account_missing_message(method=refund.method)], local=True, waiting_for=WaitingFor.PAYMENT_ACCOUNTS
        )
    reference = (refund.reference or refund.method)[:255]
    if row.needs_lookup:
        note = client.credit_note_by_id(credit_note_id=note_id)
        for payment in getattr(note, "payments", None) or []:
            if text(payment.status) != XeroStatus.DELETED and Decimal(str(payment.amount)) == refund.amount_returned:
                _refs(row, refund_payment_id=str(payment.payment_id))
                return ""
    payload = mapping.refund_payment_payload(
        credit_note_id=note_id,
        account_id=account.account_id,
        amount=refund.amount_returned,
        date=refund.date,
        reference=reference,
    )
    [element] = step.write(
        "refund-payment", parts=[f"{row.pk}:{latest_refusal(row)}"], rows=[row],
        call=lambda key: client.payments_create(payments=[payload], idempotency_key=key),
    )  # fmt: skip
    refusal = element_refusal(element)
    if refusal is not None:
        raise _Refused(refusal.messages)
    _refs(row, refund_payment_id=str(element.payment_id))
    return ""


def _refs(row: SyncRecord, **refs: str) -> None:
    _progress(row, xero_refs={**row.xero_refs, **refs})

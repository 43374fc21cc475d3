"""Allocate a credit note's credit to invoices (PUT /CreditNotes/{id}/Allocations)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xero_sandbox.models import Allocation, CreditNote, Invoice
from xero_sandbox.parse import BadValue, parse_date, parse_decimal, text

from .documents import lock_date_error
from .webhooks import invoice_event_send

# xero-php#251 (more than the credit left) and xeroizer#320 (more than the invoice owes) quote this.
TOO_MUCH = "Credit Note cannot be allocated as amount is greater than amount outstanding"
PAID_OFF = "The invoice you are trying to allocate to has already been paid off"
WRONG_TYPE = "Credit Note cannot be allocated to an incorrect invoice type"
NOT_ALLOCATABLE = "Only an AUTHORISED Credit Note with credit remaining can be allocated"
MATCHING_TYPE = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


@dataclass
class AllocationResult:
    submitted: dict[str, Any]
    allocation: Allocation | None = None
    errors: list[str] = field(default_factory=list)


def _invoice_for(note: CreditNote, raw: dict[str, Any]) -> Invoice | None:
    given = raw.get("Invoice")
    ref: dict[str, Any] = given if isinstance(given, dict) else {}
    invoices = Invoice.objects.select_for_update().filter(organisation_id=note.organisation_id)
    try:
        if ref.get("InvoiceID"):
            return invoices.filter(invoice_id=uuid.UUID(text(ref.get("InvoiceID")))).first()
    except ValueError:
        return None
    if ref.get("InvoiceNumber"):
        return invoices.filter(invoice_number=text(ref.get("InvoiceNumber"))).first()
    return None


def _invoice_errors(note: CreditNote, invoice: Invoice | None) -> list[str]:
    if invoice is None:
        return ["Invoice could not be found"]
    if invoice.status == "PAID":
        return [PAID_OFF]
    if invoice.type != MATCHING_TYPE.get(note.type):
        return [WRONG_TYPE]
    if invoice.status != "AUTHORISED":
        return ["Credit Note can only be allocated to an AUTHORISED invoice"]
    errors = []
    if invoice.contact_id != note.contact_id:
        errors.append("Credit Note and Invoice must be for the same contact")
    if invoice.currency_code != note.currency_code:
        errors.append("Credit Note and Invoice must be in the same currency")
    return errors


def _allocation_one(note: CreditNote, raw: dict[str, Any]) -> AllocationResult:
    errors = (
        [] if note.status == "AUTHORISED" else ["Only an AUTHORISED Credit Note with credit remaining can be allocated"]
    )
    invoice = _invoice_for(note, raw)
    errors += _invoice_errors(note, invoice)
    try:
        amount = parse_decimal(raw.get("Amount"), field="Amount")
        date = parse_date(raw.get("Date"), field="Date")
    except BadValue as exc:
        return AllocationResult(raw, errors=[*errors, str(exc)])
    if amount is None or amount <= 0:
        errors.append("Allocation Amount must be greater than zero")
    elif amount > note.remaining_credit or (invoice is not None and amount > invoice.amount_due):
        errors.append(TOO_MUCH)
    if date is None:
        errors.append("Allocation Date must be specified")
    locked = lock_date_error(note.organisation, date=date)
    errors += [locked] if locked else []
    if errors or invoice is None or amount is None or date is None:
        return AllocationResult(raw, errors=errors)
    return AllocationResult(raw, allocation=_apply(note, invoice, amount=amount, date=date))


def _apply(note: CreditNote, invoice: Invoice, *, amount: Decimal, date: Any) -> Allocation:
    """Record the allocation; the invoice owes less (PAID at zero), the credit note has less left (PAID at zero)."""
    allocation = Allocation.objects.create(credit_note=note, invoice=invoice, amount=amount, date=date)
    note.amount_allocated += amount
    if note.remaining_credit <= 0:
        note.status, note.fully_paid_on = "PAID", date
    note.save(update_fields=["amount_allocated", "status", "fully_paid_on", "updated_at"])
    invoice.amount_credited += amount
    if invoice.amount_due <= 0:
        invoice.status, invoice.fully_paid_on = "PAID", date
    invoice.save(update_fields=["amount_credited", "status", "fully_paid_on", "updated_at"])
    invoice_event_send(invoice=invoice)
    return allocation


def allocations_create(*, credit_note: CreditNote, payloads: list[Any]) -> list[AllocationResult]:
    """Allocate `credit_note` to invoices, one element at a time; the caller locks the credit note row."""
    return [_allocation_one(credit_note, raw if isinstance(raw, dict) else {}) for raw in payloads]

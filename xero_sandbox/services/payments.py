"""Payments against invoices and refunds out of credit notes (PUT /Payments), their removal
(POST /Payments/{id} Status DELETED), and the sandbox's "Mark as paid" button."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from xero_sandbox.models import Account, CreditNote, Invoice, Organisation, Payment
from xero_sandbox.parse import BadValue, parse_date, parse_decimal, text

from .documents import lock_date_error
from .webhooks import invoice_event_send


@dataclass
class PaymentResult:
    submitted: dict[str, Any]
    payment: Payment | None = None
    errors: list[str] = field(default_factory=list)


def _payment_account(organisation: Organisation, raw: Any) -> Account | None:
    if not isinstance(raw, dict):
        return None
    accounts = Account.objects.filter(organisation=organisation, status="ACTIVE")
    if raw.get("AccountID"):
        try:
            return accounts.filter(account_id=uuid.UUID(text(raw.get("AccountID")))).first()
        except ValueError:
            return None
    return accounts.filter(code=text(raw.get("Code"))).first() if raw.get("Code") else None


def payment_apply(
    *, invoice: Invoice, account: Account, amount: Decimal, date: Any = None, reference: str = ""
) -> Payment:
    """Record a payment, mark the invoice PAID when nothing is left due, and send the webhook event."""
    payment = Payment.objects.create(
        invoice=invoice, account=account, amount=amount, date=date or timezone.now().date(), reference=reference
    )
    invoice.amount_paid += amount
    if invoice.amount_due <= 0:
        invoice.status = "PAID"
        invoice.fully_paid_on = payment.date
    invoice.save(update_fields=["amount_paid", "status", "fully_paid_on", "updated_at"])
    invoice_event_send(invoice=invoice)
    return payment


def refund_apply(*, note: CreditNote, account: Account, amount: Decimal, date: Any, reference: str = "") -> Payment:
    """Pay money back out of a credit note's credit (ARCREDITPAYMENT); PAID when no credit is left."""
    payment = Payment.objects.create(credit_note=note, account=account, amount=amount, date=date, reference=reference)
    note.amount_paid += amount
    if note.remaining_credit <= 0:
        note.status, note.fully_paid_on = "PAID", payment.date
    note.save(update_fields=["amount_paid", "status", "fully_paid_on", "updated_at"])
    return payment


def _document_of(organisation: Organisation, raw: dict[str, Any]) -> tuple[Invoice | CreditNote | None, str]:
    """Return the invoice or credit note a payment element names (locked), and its kind."""
    for key, model, id_field, number_field, kind in (
        ("Invoice", Invoice, "InvoiceID", "InvoiceNumber", "invoice"),
        ("CreditNote", CreditNote, "CreditNoteID", "CreditNoteNumber", "credit_note"),
    ):
        given = raw.get(key)
        ref: dict[str, Any] = given if isinstance(given, dict) else {}
        if not ref:
            continue
        documents = model.objects.select_for_update().filter(organisation=organisation)  # type: ignore[attr-defined]
        try:
            if ref.get(id_field):
                return documents.filter(**{f"{kind}_id": uuid.UUID(text(ref.get(id_field)))}).first(), kind
            if ref.get(number_field):
                return documents.filter(**{f"{kind}_number": text(ref.get(number_field))}).first(), kind
        except ValueError:
            return None, kind
        return None, kind
    return None, "invoice"


def _payment_one(organisation: Organisation, raw: dict[str, Any]) -> PaymentResult:
    document, kind = _document_of(organisation, raw)
    errors = []
    if document is None:
        errors.append("Invoice could not be found" if kind == "invoice" else "Credit Note could not be found")
    elif document.status != "AUTHORISED":
        errors.append("Payment can only be made against Authorised documents")
    account = _payment_account(organisation, raw.get("Account"))
    if account is None or not (account.enable_payments or account.type == "BANK"):
        errors.append("Account code or ID must be specified for a bank or payments-enabled account")
    try:
        amount = parse_decimal(raw.get("Amount"), field="Amount")
        date = parse_date(raw.get("Date"), field="Date")
    except BadValue as exc:
        return PaymentResult(raw, errors=[*errors, str(exc)])
    outstanding = None
    if isinstance(document, Invoice):
        outstanding = document.amount_due
    elif isinstance(document, CreditNote):
        outstanding = document.remaining_credit
    if amount is None or amount <= 0:
        errors.append("Payment amounts must be positive amounts")
    elif outstanding is not None and amount > outstanding:
        errors.append("Payment amount exceeds the amount outstanding on this document")
    locked = lock_date_error(organisation, date=date or timezone.now().date())
    errors.extend([locked] if locked else [])
    if errors or document is None or account is None or amount is None:
        return PaymentResult(raw, errors=errors)
    reference = text(raw.get("Reference"))
    if isinstance(document, CreditNote):
        payment = refund_apply(
            note=document, account=account, amount=amount, date=date or timezone.now().date(), reference=reference
        )
    else:
        payment = payment_apply(invoice=document, account=account, amount=amount, date=date, reference=reference)
    return PaymentResult(raw, payment=payment)


def payments_create(*, organisation: Organisation, payloads: list[Any]) -> list[PaymentResult]:
    """Apply payments (PUT /Payments); one result per element."""
    return [_payment_one(organisation, raw if isinstance(raw, dict) else {}) for raw in payloads]


def payment_delete(*, payment: Payment, raw: dict[str, Any]) -> PaymentResult:
    """Remove a payment (POST /Payments/{id} with only `Status: DELETED`): its invoice owes the amount
    again (AUTHORISED if it was PAID), or its credit note gets the credit back. The caller locks the row."""
    if text(raw.get("Status")) != "DELETED" or set(raw) - {"Status", "PaymentID"}:
        return PaymentResult(raw, errors=["A payment can only be deleted: send only Status DELETED"])
    if payment.status == "DELETED":
        return PaymentResult(raw, errors=["This payment has already been deleted"])
    locked = lock_date_error(payment.account.organisation, date=payment.date)
    if locked:
        return PaymentResult(raw, errors=[locked])
    payment.status = "DELETED"
    payment.save(update_fields=["status", "updated_at"])
    if payment.invoice is not None:
        invoice = Invoice.objects.select_for_update().get(pk=payment.invoice.pk)
        invoice.amount_paid -= payment.amount
        if invoice.status == "PAID" and invoice.amount_due > 0:
            invoice.status, invoice.fully_paid_on = "AUTHORISED", None
        invoice.save(update_fields=["amount_paid", "status", "fully_paid_on", "updated_at"])
        invoice_event_send(invoice=invoice)
    else:
        note = CreditNote.objects.select_for_update().get(pk=payment.credit_note.pk)  # type: ignore[union-attr]
        note.amount_paid -= payment.amount
        if note.status == "PAID" and note.remaining_credit > 0:
            note.status, note.fully_paid_on = "AUTHORISED", None
        note.save(update_fields=["amount_paid", "status", "fully_paid_on", "updated_at"])
    return PaymentResult(raw, payment=payment)


def invoice_mark_paid(*, invoice: Invoice) -> Payment:
    """Pay the whole amount due into the first bank account (the sandbox's "Mark as paid" button)."""
    if invoice.status != "AUTHORISED" or invoice.amount_due <= 0:
        raise ValueError("Only an AUTHORISED invoice with an amount due can be marked as paid.")
    account = Account.objects.filter(organisation=invoice.organisation, type="BANK", status="ACTIVE").first()
    if account is None:
        raise ValueError("The organisation has no bank account to receive the payment.")
    return payment_apply(invoice=invoice, account=account, amount=invoice.amount_due)


def invoice_void_in_xero(*, invoice: Invoice) -> Invoice:
    """Void an AUTHORISED invoice without payments, or delete a DRAFT/SUBMITTED one, as a user of
    Xero does (the sandbox's "Void" button), and send the webhook event."""
    if invoice.amount_paid > 0 or invoice.amount_credited > 0:
        raise ValueError("This document cannot be edited as it has a payment or credit note allocated to it.")
    if invoice.status == "AUTHORISED":
        invoice.status = "VOIDED"
    elif invoice.status in {"DRAFT", "SUBMITTED"}:
        invoice.status = "DELETED"
    else:
        raise ValueError(f"A {invoice.status} invoice cannot be voided.")
    locked = lock_date_error(invoice.organisation, date=invoice.date) if invoice.status == "VOIDED" else None
    if locked:
        raise ValueError(locked)
    invoice.save(update_fields=["status", "updated_at"])
    invoice_event_send(invoice=invoice)
    return invoice

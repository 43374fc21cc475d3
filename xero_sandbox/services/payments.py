"""Payments against invoices: via the API and the sandbox's "Mark as paid" button."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from xero_sandbox.api.parse import BadValue, parse_date, parse_decimal, text
from xero_sandbox.models import Account, Invoice, Organisation, Payment

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


def _payment_one(organisation: Organisation, raw: dict[str, Any]) -> PaymentResult:
    given = raw.get("Invoice")
    invoice_ref: dict[str, Any] = given if isinstance(given, dict) else {}
    invoices = Invoice.objects.select_for_update().filter(organisation=organisation)
    invoice = None
    try:
        if invoice_ref.get("InvoiceID"):
            invoice = invoices.filter(invoice_id=uuid.UUID(text(invoice_ref.get("InvoiceID")))).first()
        elif invoice_ref.get("InvoiceNumber"):
            invoice = invoices.filter(invoice_number=text(invoice_ref.get("InvoiceNumber"))).first()
    except ValueError:
        invoice = None
    errors = []
    if invoice is None:
        errors.append("Invoice could not be found")
    elif invoice.status != "AUTHORISED":
        errors.append("Payment can only be made against Authorised documents")
    account = _payment_account(organisation, raw.get("Account"))
    if account is None or not (account.enable_payments or account.type == "BANK"):
        errors.append("Account code or ID must be specified for a bank or payments-enabled account")
    try:
        amount = parse_decimal(raw.get("Amount"), field="Amount")
        date = parse_date(raw.get("Date"), field="Date")
    except BadValue as exc:
        return PaymentResult(raw, errors=[*errors, str(exc)])
    if amount is None or amount <= 0:
        errors.append("Payment amounts must be positive amounts")
    elif invoice is not None and amount > invoice.amount_due:
        errors.append("Payment amount exceeds the amount outstanding on this document")
    locked = lock_date_error(organisation, date=date or timezone.now().date())
    errors.extend([locked] if locked else [])
    if errors or invoice is None or account is None or amount is None:
        return PaymentResult(raw, errors=errors)
    payment = payment_apply(
        invoice=invoice, account=account, amount=amount, date=date, reference=text(raw.get("Reference"))
    )
    return PaymentResult(raw, payment=payment)


def payments_create(*, organisation: Organisation, payloads: list[Any]) -> list[PaymentResult]:
    """Apply payments (PUT /Payments); one result per element."""
    return [_payment_one(organisation, raw if isinstance(raw, dict) else {}) for raw in payloads]


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

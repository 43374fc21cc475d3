"""Payments to Xero: a store payment to its invoice, and a refund paid out of a credit note.

Pure functions: no calls to Xero here. Each payment names the account chosen for its method
(by AccountID: bank accounts may have no code).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from xero_python.accounting.models import Account, CreditNote, Invoice, Payment

from stores.models import Payment as StorePayment


def payment_reference(payment: StorePayment) -> str:
    """Return the Reference a payment carries in Xero: the store's, else its method."""
    return (payment.reference or payment.method or "")[:255]


def invoice_payment_payload(
    *, invoice_id: str, account_id: str, amount: Decimal, date: dt.date, reference: str
) -> Payment:
    """Return a payment of `amount` to the Xero invoice `invoice_id`, into the account `account_id`."""
    return Payment(
        invoice=Invoice(invoice_id=invoice_id),
        account=Account(account_id=account_id),
        amount=float(amount),
        date=date,
        reference=reference,
    )


def refund_payment_payload(
    *, credit_note_id: str, account_id: str, amount: Decimal, date: dt.date, reference: str
) -> Payment:
    """Return a refund (ARCREDITPAYMENT) of `amount` paid out of the credit note `credit_note_id`
    from the account `account_id`."""
    return Payment(
        credit_note=CreditNote(credit_note_id=credit_note_id),
        account=Account(account_id=account_id),
        amount=float(amount),
        date=date,
        reference=reference,
    )

"""Spend and receive money (bank transactions) and transfers between bank accounts."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from xero_sandbox.models.accounting import Account, Contact, Organisation
from xero_sandbox.models.documents import DocumentLine

# Bank transaction and bank transfer statuses (the spec's enums; VOIDED is an overpayment's).
AUTHORISED, DELETED = "AUTHORISED", "DELETED"


class BankTransaction(models.Model):
    """A Spend Money (SPEND) or Receive Money (RECEIVE) transaction on a bank account."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="bank_transactions")
    bank_transaction_id = models.UUIDField(default=uuid.uuid4, unique=True)
    type = models.CharField(max_length=20)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="bank_transactions")
    bank_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="bank_transactions")
    reference = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=500, blank=True)
    date = models.DateField()
    status = models.CharField(max_length=12, default=AUTHORISED)
    line_amount_types = models.CharField(max_length=10, default="Exclusive")
    currency_code = models.CharField(max_length=3)
    currency_rate = models.DecimalField(max_digits=18, decimal_places=10, default=Decimal(1))
    sub_total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    total_tax = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    # Reconciled with a bank statement line: the sandbox has no statements, so it is set by the
    # client (IsReconciled on PUT/POST, as Xero's page allows) or by `testing.bank_transaction_reconcile`.
    is_reconciled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.total} ({self.bank_transaction_id})"


class BankTransactionLine(DocumentLine):
    bank_transaction = models.ForeignKey(BankTransaction, on_delete=models.CASCADE, related_name="line_items")

    class Meta(DocumentLine.Meta):
        pass


class BankTransfer(models.Model):
    """Money moved from one bank account to another of the same currency.

    Xero books each side as a bank transaction (SPEND-TRANSFER out of the source account,
    RECEIVE-TRANSFER into the destination account) and answers their ids.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="bank_transfers")
    bank_transfer_id = models.UUIDField(default=uuid.uuid4, unique=True)
    from_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_out")
    to_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transfers_in")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    date = models.DateField()
    reference = models.CharField(max_length=255, blank=True)
    currency_rate = models.DecimalField(max_digits=18, decimal_places=10, default=Decimal(1))
    from_bank_transaction_id = models.UUIDField(default=uuid.uuid4, unique=True)
    to_bank_transaction_id = models.UUIDField(default=uuid.uuid4, unique=True)
    from_is_reconciled = models.BooleanField(default=False)
    to_is_reconciled = models.BooleanField(default=False)
    status = models.CharField(max_length=12, default=AUTHORISED)
    # FromTracking / ToTracking: at most two options (of two categories) per side. RESTRICT, as on lines.
    from_tracking_1 = models.ForeignKey(
        "xero_sandbox.TrackingOption", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    from_tracking_2 = models.ForeignKey(
        "xero_sandbox.TrackingOption", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    to_tracking_1 = models.ForeignKey(
        "xero_sandbox.TrackingOption", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    to_tracking_2 = models.ForeignKey(
        "xero_sandbox.TrackingOption", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_account=models.F("to_account")), name="xs_transfer_two_accounts"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="xs_transfer_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.from_account_id}→{self.to_account_id}"

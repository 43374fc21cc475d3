"""Credit notes and their allocations to invoices."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from .accounting import Contact, Invoice, Organisation


class CreditNote(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="credit_notes")
    credit_note_id = models.UUIDField(default=uuid.uuid4, unique=True)
    type = models.CharField(max_length=20, default="ACCRECCREDIT")
    credit_note_number = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=255, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="credit_notes")
    date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, default="DRAFT")
    line_amount_types = models.CharField(max_length=10, default="Exclusive")
    currency_code = models.CharField(max_length=3)
    currency_rate = models.DecimalField(max_digits=18, decimal_places=10, default=Decimal(1))
    sub_total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    total_tax = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    amount_allocated = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    # What refund payments paid out of the credit (ARCREDITPAYMENT).
    amount_paid = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    fully_paid_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Sales credit note numbers are unique per organisation, even under concurrent requests.
            models.UniqueConstraint(
                fields=["organisation", "credit_note_number"],
                condition=models.Q(type="ACCRECCREDIT") & ~models.Q(credit_note_number=""),
                name="xs_credit_note_number_unique",
            ),
        ]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.credit_note_number or str(self.credit_note_id)

    @property
    def remaining_credit(self) -> Decimal:
        return self.total - self.amount_allocated - self.amount_paid


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="line_items")
    line_item_id = models.UUIDField(default=uuid.uuid4)
    position = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(1))
    unit_amount = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    item_code = models.CharField(max_length=30, blank=True)
    account_code = models.CharField(max_length=10, blank=True)
    tax_type = models.CharField(max_length=50, blank=True)
    tax_amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    line_amount = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    discount_rate = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description or self.item_code


class Allocation(models.Model):
    """Part of a credit note's credit applied to an invoice."""

    allocation_id = models.UUIDField(default=uuid.uuid4, unique=True)
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="allocations")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return str(self.allocation_id)

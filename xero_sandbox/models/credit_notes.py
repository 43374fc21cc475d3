"""Credit notes and their allocations to invoices."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models

from xero_sandbox.models.accounting import Contact, Invoice, Organisation
from xero_sandbox.models.documents import DocumentLine, SalesDocument


class CreditNote(SalesDocument):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="credit_notes")
    credit_note_id = models.UUIDField(default=uuid.uuid4, unique=True)
    type = models.CharField(max_length=20, default="ACCRECCREDIT")
    credit_note_number = models.CharField(max_length=255, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="credit_notes")
    amount_allocated = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    # `amount_paid` (of SalesDocument) is what refund payments paid out of the credit (ARCREDITPAYMENT).

    class Meta(SalesDocument.Meta):
        constraints = [
            # Sales credit note numbers are unique per organisation, even under concurrent requests.
            models.UniqueConstraint(
                fields=["organisation", "credit_note_number"],
                condition=models.Q(type="ACCRECCREDIT") & ~models.Q(credit_note_number=""),
                name="xs_credit_note_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.credit_note_number or str(self.credit_note_id)

    @property
    def remaining_credit(self) -> Decimal:
        return self.total - self.amount_allocated - self.amount_paid


class CreditNoteLine(DocumentLine):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="line_items")

    class Meta(DocumentLine.Meta):
        pass


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

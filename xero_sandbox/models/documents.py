"""What an invoice and a credit note hold alike, and their lines: abstract models both build on."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models


class SalesDocument(models.Model):
    """A document of money owed (an invoice) or given back (a credit note), as Xero holds it."""

    reference = models.CharField(max_length=255, blank=True)
    date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, default="DRAFT")
    line_amount_types = models.CharField(max_length=10, default="Exclusive")
    currency_code = models.CharField(max_length=3)
    currency_rate = models.DecimalField(max_digits=18, decimal_places=10, default=Decimal(1))
    sub_total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    total_tax = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    total = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    amount_paid = models.DecimalField(max_digits=18, decimal_places=2, default=Decimal(0))
    fully_paid_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


class DocumentLine(models.Model):
    """One line of a sales document: quantity, unit amount, account and tax type, rounded amounts."""

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
    # The line's Tracking: at most two options, of two different categories, in the order sent.
    # RESTRICT: an option used on a line is never removed (it is archived); deleting a whole
    # organisation still removes both.
    tracking_option_1 = models.ForeignKey(
        "xero_sandbox.TrackingOption", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    tracking_option_2 = models.ForeignKey(
        "xero_sandbox.TrackingOption", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description or self.item_code

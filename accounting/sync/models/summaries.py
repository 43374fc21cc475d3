"""Daily summaries: one Xero invoice for a store day (posting mode "One summary invoice per day")."""

from __future__ import annotations

from django.db import models

from accounting.models import AccountingChannel

# Daily summaries (posting mode "One summary invoice per day") ------------------------------------


class DailySummary(models.Model):
    """One Xero invoice for a store day, currency and tax mode: the day's store invoices summed by
    (account, tax type, tracking option), the day's payments per method, its refunds as one credit
    note. What it holds is its entries; its ledger row (kind SUMMARY) sends it once the day closed."""

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="summaries")
    day = models.DateField()
    currency = models.CharField(max_length=3)
    tax_mode = models.CharField(max_length=10)  # the store invoices' TaxMode
    # The InvoiceNumber it goes to Xero as, fixed when it is made (a look-up after a lost answer).
    number = models.CharField(max_length=255)
    xero_id = models.CharField("Xero id", max_length=64, blank=True)
    # What Xero last accepted: its total, and when.
    sent_total = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # What each credit note of the day's refunds made in Xero besides itself, saved step by step:
    # {credit note id: {"allocation": id, "payments": {method key: payment id}}}.
    xero_refs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "currency", "tax_mode"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "day", "currency", "tax_mode"], name="daily_summary_one_per_day_currency_mode"
            )
        ]

    def __str__(self) -> str:
        return f"Summary {self.day} {self.currency}"


class EntryKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"


class SummaryEntry(models.Model):
    """What one store record adds to a summary: an invoice's amounts by summary line, a payment's
    amount, a refund's credit by line. An invoice changed after its summary went (and Xero no
    longer allows changing it) adds an adjustment entry of the difference to a later summary
    (`adjusts`: the day it corrects), so an invoice's entries always sum to what the store says."""

    summary = models.ForeignKey(DailySummary, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    object_id = models.BigIntegerField()  # the store invoice, payment or refund
    invoice_id = models.BigIntegerField()  # its store invoice
    number = models.CharField(max_length=50)  # the store invoice's number (the summary page's list)
    adjusts = models.DateField(null=True, blank=True)
    # {line key: "amount"}: invoice and refund entries by summary line (`summary_line_key`).
    lines = models.JSONField(default=dict, blank=True)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    method = models.CharField(max_length=50, blank=True)  # payments and refunds
    # Sent to Xero: with the summary invoice (invoices), as this Xero payment or credit note.
    sent = models.BooleanField(default=False)
    xero_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["summary_id", "kind", "number", "pk"]
        indexes = [
            models.Index(fields=["summary", "kind"], name="summary_entry_summary"),
            models.Index(fields=["kind", "object_id"], name="summary_entry_record"),
            models.Index(fields=["invoice_id"], name="summary_entry_invoice"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} in {self.summary_id}"

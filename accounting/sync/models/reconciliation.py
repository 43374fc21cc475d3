"""Reconciliations: a channel's store records of a date range beside what Xero holds."""

from __future__ import annotations

from django.db import models

from accounting.models import AccountingChannel

# Reconciliation: the store's books beside Xero's, for a channel and a date range -------------------


class ReconciliationState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Reconciliation(models.Model):
    """One reconciliation of a channel over store dates `date_from`..`date_to` (inclusive): what it
    estimated, read (calls, bytes) and found (`totals` per day and currency, `differences` by record).
    Run in the background (`accounting.checks.reconcile`); its page and the API show its progress."""

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="reconciliations")
    date_from = models.DateField()
    date_to = models.DateField()
    state = models.CharField(max_length=10, choices=ReconciliationState.choices, default=ReconciliationState.QUEUED)
    requested_by = models.CharField(max_length=150, blank=True)
    # Calls it expected before it started, calls and bytes it read from Xero, and its step now.
    estimate_calls = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    step = models.CharField(max_length=100, blank=True)
    records = models.PositiveIntegerField(default=0)  # store records compared
    # [{"date", "currency", "store": {...}, "xero": {...}}] and [{"kind", "record", "store", "xero", ...}]
    totals = models.JSONField(default=list, blank=True)
    differences = models.JSONField(default=list, blank=True)
    # What Xero held for the range ({Xero id: `holdings.held_dump`}), so a later reconciliation of the
    # same dates reads only what changed since (`read_since`, If-Modified-Since) instead of everything.
    snapshot = models.JSONField(default=dict, blank=True)
    read_since = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["channel", "date_from", "date_to", "created_at"], name="reconciliation_range")]

    def __str__(self) -> str:
        return f"Reconciliation {self.date_from}..{self.date_to} of channel {self.channel_id}"

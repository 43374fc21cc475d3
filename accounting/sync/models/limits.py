"""The database limiter's rows (when there is no Redis) and what Xero's answers taught about an organisation."""

from __future__ import annotations

from django.db import models


class LimiterCall(models.Model):
    """One granted Xero call, for the database limiter used when there is no Redis."""

    scope = models.CharField(max_length=100)  # "org:<tenant id>" or "app:<client id>"
    token = models.CharField(max_length=32)
    in_flight_until = models.DateTimeField(null=True, blank=True)
    counts_until = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "counts_until"], name="limiter_call_scope_until")]

    def __str__(self) -> str:
        return f"{self.scope} {self.token}"


class LimiterScope(models.Model):
    """The lock row and pause of one limiter scope (database limiter)."""

    scope = models.CharField(max_length=100, unique=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    day_started_at = models.DateTimeField(null=True, blank=True)
    day_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.scope


class XeroOrganisationFacts(models.Model):
    """What Xero's answers taught the engine about one organisation: its day budget (from the
    `X-DayLimit-Remaining` header; any tier) and whether it refuses un-optimised filters."""

    tenant_id = models.CharField(max_length=64, unique=True)
    # The day limit learnt from Xero's headers: 1,000 (Starter tier) until an answer shows more.
    day_limit = models.PositiveIntegerField(default=1000)
    day_remaining = models.PositiveIntegerField(null=True, blank=True)
    day_reported_at = models.DateTimeField(null=True, blank=True)
    # `X-MinLimit-Remaining` of Xero's last answer for the organisation (this app's minute budget).
    minute_remaining = models.PositiveIntegerField(null=True, blank=True)
    # Set when Xero refused a filter as inefficient for its volume (a high-volume organisation).
    high_volume_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Xero organisation {self.tenant_id}"

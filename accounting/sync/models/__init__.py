"""The sync ledger: one row per (channel, record, action), with every attempt and its answer.

The shape follows Saleor's EventDelivery / EventDeliveryAttempt: the row is the durable promise
that a record must reach Xero; attempts are the history of trying. Rows are written in the same
transaction as the record they describe (see `accounting.sync.ledger.signals`).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.db.models import F, Q

from accounting.models import AccountingChannel
from channels_portal.encryption import EncryptedTextField


class RecordKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    PRODUCT = "product", "Product"
    # Sent only once their invoice is in Xero (`parent_id`), refunds after its earlier payments.
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    # A daily summary (`DailySummary`) of a channel posting one summary invoice per day.
    SUMMARY = "summary", "Daily summary"
    # A gateway payout (`stores.Payout`): sent once the payments it settles are in Xero.
    PAYOUT = "payout", "Payout"


class SyncAction(models.TextChoices):
    # Invoices are created once, then updated; items are upserted on their Code.
    PUSH = "push", "Send to Xero"


class SyncState(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_FLIGHT = "in_flight", "In flight"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    # Needs the operator's choice on a card of the channel page (`waiting_for`): not sent, not a
    # failure; saving the card queues it again.
    WAITING = "waiting", "Waiting for a choice"


# The `xero_status` of an invoice, payment or refund row whose record went to Xero in a daily
# summary (`DailySummary`), not as a document of its own.
SUMMARISED = "SUMMARY"


class WaitingFor(models.TextChoices):
    """The channel page's card whose choice a waiting row needs (its anchor on the page)."""

    TAX_MAPPING = "tax-mapping", "Tax mapping"
    LINE_ACCOUNTS = "line-accounts", "Line accounts"
    PAYMENT_ACCOUNTS = "payment-accounts", "Payment accounts"
    # The record was changed in Xero after it was sent: the operator chooses store wins or Xero
    # wins on its page (`SyncRecord.xero_drift`).
    DRIFT = "drift", "Changed in Xero"


class Drift(models.TextChoices):
    """What Xero reported of a record after the channel sent it (webhooks, the poll)."""

    VOIDED = "voided", "Voided in Xero"
    DELETED = "deleted", "Deleted in Xero"
    CHANGED = "changed", "Changed in Xero"


# How long a normalised cause of failure may be (grouping key of the ledger page; an index key).
CAUSE_LENGTH = 200
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class ErrorCause(models.Func):
    """A row's `last_error` with what is particular to the row taken out, so rows refused for the
    same reason share one key: its own invoice number (`xero_number`) becomes "#", on PostgreSQL
    also Xero ids (UUIDs) "…" and attempt counts "N"; cut to CAUSE_LENGTH characters.

    A database expression (the ledger's generated column `error_cause`): every writer of
    `last_error`, set-based SQL included, gets it right without knowing of it.
    """

    output_field = models.CharField(max_length=CAUSE_LENGTH)

    def __init__(self, **extra: Any) -> None:
        super().__init__(models.F("last_error"), models.F("xero_number"), **extra)

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, function: str | None = None, template: str | None = None, **extra: Any
    ) -> Any:
        text = "REPLACE(%(expressions)s, '#')"
        if connection.vendor == "postgresql":
            text = f"REGEXP_REPLACE({text}, '{_UUID}', '…', 'g')"
            text = f"REGEXP_REPLACE({text}, 'after [0-9]+ attempts', 'after N attempts', 'g')"
        template = f"SUBSTR({text}, 1, {CAUSE_LENGTH})"
        return super().as_sql(compiler, connection, function=function, template=template, **extra)


class SyncRecord(models.Model):
    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="sync_records")
    kind = models.CharField(max_length=10, choices=RecordKind.choices)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=SyncAction.choices, default=SyncAction.PUSH)
    state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    # When a pending row may next be sent; NULL for rows that wait for a change or an operator.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # An in-flight row whose lease has passed belongs to a worker that died mid-send.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Which turn of which worker holds an in-flight row, and since when.
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    # A write whose answer was lost: look the record up in Xero before sending it again.
    needs_lookup = models.BooleanField(default=False)
    xero_id = models.CharField("Xero id", max_length=64, blank=True)
    # The store invoice a payment or refund belongs to: the ledger sends it only after that
    # invoice's row is synced (`accounting.sync.schedule.turn.due_rows`).
    parent_id = models.BigIntegerField(null=True, blank=True)
    # What a payment or refund made in Xero besides `xero_id`, each saved as soon as Xero accepted
    # it: {"allocation_id", "refund_payment_id", "deleted"}.
    xero_refs = models.JSONField(default=dict, blank=True, db_default={})
    # Hash of the payload Xero last accepted, so an unchanged record is not sent again.
    payload_hash = models.CharField(max_length=64, blank=True)
    # The invoice number last sent to Xero, saved before the write: a look-up after a lost
    # answer asks for the number Xero may hold, even if the channel's prefix changed since.
    xero_number = models.CharField(max_length=255, blank=True, db_default="")
    # The status Xero last accepted (DRAFT, AUTHORISED, ...): a store void becomes DELETED or
    # VOIDED by what Xero holds, not by the channel's current setting.
    xero_status = models.CharField(max_length=20, blank=True, db_default="")
    last_error = models.TextField(blank=True)
    # The card whose choice a WAITING row needs ("" for any other state).
    waiting_for = models.CharField(max_length=20, choices=WaitingFor.choices, blank=True, db_default="")
    # `last_error` less what is particular to the row: the ledger page groups failures by it.
    error_cause = models.GeneratedField(
        expression=ErrorCause(), output_field=models.CharField(max_length=CAUSE_LENGTH), db_persist=True
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # Drift (`Drift`): what Xero reported after the record was sent, when Xero changed it, what
    # differs ("total 120.00 in Xero, 100.00 in the store"); open until the operator chose
    # (`drift_settled_at`). While a CHANGED drift is open a store change waits (WaitingFor.DRIFT).
    xero_drift = models.CharField(max_length=10, choices=Drift.choices, blank=True, db_default="")
    xero_drift_at = models.DateTimeField(null=True, blank=True)
    xero_drift_note = models.CharField(max_length=255, blank=True, db_default="")
    drift_settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel_id", "kind", "object_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "kind", "object_id", "action"], name="sync_record_unique_per_channel_record"
            )
        ]
        indexes = [
            models.Index(
                fields=["channel", "kind", "next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="sync_record_due",
            ),
            # The beat sweep's look whether a channel has a row due now: one seek per channel.
            models.Index(
                fields=["channel", "next_attempt_at"], condition=Q(state="pending"), name="sync_record_due_at"
            ),
            models.Index(fields=["channel", "state"], name="sync_record_channel_state"),
            models.Index(fields=["lease_until"], condition=Q(state="in_flight"), name="sync_record_leases"),
            # The ledger page: newest first (with or without a state), failures by cause, the rate.
            models.Index(F("channel"), F("updated_at").desc(), F("id").desc(), name="sync_record_ledger"),
            models.Index(
                F("channel"), F("state"), F("updated_at").desc(), F("id").desc(), name="sync_record_ledger_state"
            ),
            models.Index(
                fields=["channel", "error_cause", "kind"], condition=Q(state="failed"), name="sync_record_causes"
            ),
            models.Index(fields=["channel", "synced_at"], name="sync_record_synced_at"),
            models.Index(fields=["channel", "waiting_for"], condition=Q(state="waiting"), name="sync_record_waiting"),
            models.Index(
                fields=["channel", "parent_id"], condition=Q(parent_id__isnull=False), name="sync_record_parent"
            ),
            # The channel page's count of records changed in Xero that wait for a look.
            models.Index(
                fields=["channel", "xero_drift"],
                condition=Q(drift_settled_at__isnull=True) & ~Q(xero_drift=""),
                name="sync_record_open_drift",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_id} → channel {self.channel_id} ({self.state})"

    @property
    def drift_text(self) -> str:
        """What Xero reported of the record after it was sent: "Voided in Xero on 7 Dec 2026 14:02 UTC"."""
        if not self.xero_drift:
            return ""
        when = f" on {self.xero_drift_at:%-d %b %Y %H:%M} UTC" if self.xero_drift_at else ""
        note = f": {self.xero_drift_note}" if self.xero_drift_note else ""
        return f"{self.get_xero_drift_display()}{when}{note}"

    @property
    def drift_open(self) -> bool:
        """Whether the operator has yet to choose about the drift (store wins / Xero wins)."""
        return bool(self.xero_drift) and self.drift_settled_at is None


class AttemptOutcome(models.TextChoices):
    OK = "ok", "Accepted by Xero"
    UNCHANGED = "unchanged", "Unchanged, not resent"
    FOUND = "found", "Found in Xero after a lost answer"
    ADOPTED = "adopted", "Xero already held it: adopted"
    VALIDATION = "validation", "Rejected by Xero"
    RATE_LIMITED = "rate_limited", "Rate limited"
    SERVER_ERROR = "server_error", "Xero server error"
    NETWORK = "network", "Network error"
    UNAUTHORIZED = "unauthorized", "Unauthorized"
    RECONNECT = "reconnect", "Needs reconnect"
    LOCAL = "local", "Not sendable"


class SyncAttempt(models.Model):
    record = models.ForeignKey(SyncRecord, on_delete=models.CASCADE, related_name="attempts")
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class XeroContactLink(models.Model):
    """A contact known to exist in a Xero organisation, so each customer is looked up once."""

    tenant_id = models.CharField(max_length=64)
    # Lower-cased e-mail, or "name:<name>" for a customer without e-mail.
    customer_key = models.CharField(max_length=300)
    contact_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "customer_key"], name="xero_contact_link_unique_customer")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.contact_id})"


class XeroItemLink(models.Model):
    """An item code known to exist in a Xero organisation."""

    tenant_id = models.CharField(max_length=64)
    code = models.CharField(max_length=30)
    item_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant_id", "code"], name="xero_item_link_unique_code")]

    def __str__(self) -> str:
        return self.code


class ChannelSyncSettings(models.Model):
    """What the engine learnt about a channel's Xero organisation (cached lookups)."""

    channel = models.OneToOneField(AccountingChannel, on_delete=models.CASCADE, related_name="sync_settings")
    tenant_id = models.CharField(max_length=64, blank=True)
    default_sales_account = models.CharField(max_length=10, blank=True)
    # {"rates": [{tax_type, name, rate}]}: the organisation's ACTIVE tax rates usable on sales.
    sales_tax_rates = models.JSONField(default=dict, blank=True)
    # {"accounts": [{account_id, code, name, type}]}: ACTIVE bank and payment-enabled accounts.
    payment_accounts = models.JSONField(default=dict, blank=True)
    # The currency codes enabled in the organisation (GET /Currencies), read when needed.
    currencies = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Sync settings of channel {self.channel_id}"


# What comes back from Xero (webhooks and the poll) -------------------------------------------


def new_feed_token() -> str:
    """Return the unguessable part of a channel's webhook URL."""
    return secrets.token_urlsafe(32)


class ChannelXeroFeed(models.Model):
    """How a channel hears about changes made in Xero (payments, voids): its webhook URL and key,
    or, without a key, the watermark of the periodic poll."""

    channel = models.OneToOneField(AccountingChannel, on_delete=models.CASCADE, related_name="xero_feed")
    # The channel's webhook URL is /xero/webhooks/<url_token>/: unguessable, unique.
    url_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    # The "Webhooks key" of the merchant's Xero app: signs every delivery (stored encrypted).
    webhook_key = EncryptedTextField(blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # The last correctly signed delivery with no events (Xero's intent-to-receive check).
    intent_verified_at = models.DateTimeField(null=True, blank=True)
    # The poll asks Xero for invoices modified since this instant (Xero's UpdatedDateUTC, UTC).
    poll_watermark = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    # Polls in a row that found nothing changed in Xero: each doubles the wait to the next, up to
    # 8 intervals (accounting.inbound.poll.POLL_BACK_OFF); a poll that finds a change resets it.
    quiet_polls = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Xero feed of channel {self.channel_id}"

    @property
    def uses_webhooks(self) -> bool:
        return bool(self.webhook_key)


class WebhookEventState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class XeroWebhookEvent(models.Model):
    """One event of a signed Xero delivery, stored once however often Xero delivers it."""

    channel = models.ForeignKey(AccountingChannel, on_delete=models.CASCADE, related_name="xero_events")
    # sha256 of category|type|resource id|event date: Xero redelivers the same event unchanged.
    dedupe_key = models.CharField(max_length=64)
    event_category = models.CharField(max_length=20)
    event_type = models.CharField(max_length=20)
    resource_id = models.CharField(max_length=64)
    event_date = models.CharField(max_length=40)
    tenant_id = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=WebhookEventState.choices, default=WebhookEventState.PENDING)
    message = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "dedupe_key"], name="xero_webhook_event_once_per_channel")
        ]
        indexes = [
            models.Index(fields=["channel", "received_at"], condition=Q(state="pending"), name="xero_event_pending")
        ]

    def __str__(self) -> str:
        return f"{self.event_category} {self.event_type} {self.resource_id}"


# Kept in modules of their own, named here so `accounting.sync.models` stays the one place to import from.
from accounting.sync.models.limits import LimiterCall, LimiterScope, XeroOrganisationFacts  # noqa: E402
from accounting.sync.models.reconciliation import Reconciliation, ReconciliationState  # noqa: E402
from accounting.sync.models.summaries import DailySummary, EntryKind, SummaryEntry  # noqa: E402

__all__ = [
    "CAUSE_LENGTH", "SUMMARISED", "AttemptOutcome", "ChannelSyncSettings", "ChannelXeroFeed", "DailySummary",
    "Drift", "EntryKind", "ErrorCause", "LimiterCall", "LimiterScope", "Reconciliation", "ReconciliationState",
    "RecordKind", "SummaryEntry", "SyncAction", "SyncAttempt", "SyncRecord", "SyncState", "WaitingFor",
    "WebhookEventState", "XeroContactLink", "XeroItemLink", "XeroOrganisationFacts", "XeroWebhookEvent",
    "new_feed_token",
]  # fmt: skip

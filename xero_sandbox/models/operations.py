"""What the sandbox keeps about its own traffic: idempotency answers, the request log, webhook deliveries."""

from __future__ import annotations

from django.db import models

from .accounting import Organisation
from .identity import DeveloperApp


class IdempotencyRecord(models.Model):
    """The first answer to a write carrying an Idempotency-Key, replayed on a repeat."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="xs_idempotency_unique")]

    def __str__(self) -> str:
        return self.key


class RequestLog(models.Model):
    """One request to the sandbox; bodies are redacted of tokens and secrets before they get here."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="request_logs", null=True, blank=True
    )
    app = models.ForeignKey(DeveloperApp, on_delete=models.SET_NULL, related_name="request_logs", null=True)
    at = models.DateTimeField(db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    query = models.TextField(blank=True)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=128, blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-at"], name="xs_requestlog_org_at")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class WebhookDelivery(models.Model):
    """One signed event POSTed to an app's webhook URL, with the answer it got."""

    app = models.ForeignKey(DeveloperApp, on_delete=models.CASCADE, related_name="webhook_deliveries")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=20, default="event")  # event | intent-good | intent-bad
    url = models.URLField(max_length=500)
    payload = models.TextField()
    signature = models.CharField(max_length=100)
    response_status = models.PositiveSmallIntegerField(null=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.url}"

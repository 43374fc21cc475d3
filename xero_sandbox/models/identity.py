"""Xero's identity side: developer apps, Xero users' access to organisations, authorization codes,
grants (token sets) and connections."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models


def new_client_id() -> str:
    """Return a client id shaped like Xero's (32 upper-case hex characters)."""
    return uuid.uuid4().hex.upper()


def new_secret() -> str:
    """Return a random 48-character secret, like the ones Xero's developer portal generates."""
    return secrets.token_urlsafe(36)


class AppTier(models.TextChoices):
    """Xero's 2026 app tiers (third-party reports): they set the day limit and the connection cap."""

    STARTER = "starter", "Starter"
    CORE = "core", "Core"
    PLUS = "plus", "Plus"
    ADVANCED = "advanced", "Advanced"


class DeveloperApp(models.Model):
    """An app registered in the developer portal (what a merchant creates at developer.xero.com)."""

    name = models.CharField(max_length=100)
    client_id = models.CharField(max_length=32, unique=True, default=new_client_id)
    # The sandbox is a stand-in for Xero, which holds these in clear to show them in its portal.
    client_secret = models.CharField(max_length=100, default=new_secret)
    redirect_uris = models.TextField(help_text="One redirect URI per line, matched exactly.")
    webhook_url = models.URLField(blank=True, max_length=500)
    webhook_key = models.CharField(max_length=100, default=new_secret)
    webhook_intent_verified = models.BooleanField(default=False)
    # Apps created before 2 March 2026 may still use the broad accounting.transactions scope.
    legacy_scopes = models.BooleanField(default=False)
    tier = models.CharField(max_length=10, choices=AppTier.choices, default=AppTier.STARTER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def redirect_uri_list(self) -> list[str]:
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]


class OrganisationUser(models.Model):
    """A Xero user's access to an organisation: the consent page offers only these organisations.

    The sandbox's Xero user is the Django user signed in on the same site.
    """

    organisation = models.ForeignKey(
        "xero_sandbox.Organisation", on_delete=models.CASCADE, related_name="user_accesses"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="xero_sandbox_accesses")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="xs_organisation_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.organisation_id}"


class AuthorizationCode(models.Model):
    """A single-use code handed to the redirect URI after "Allow access"; spent when first presented."""

    app = models.ForeignKey(DeveloperApp, on_delete=models.CASCADE, related_name="codes")
    # The Xero user (the Django user signed in) who allowed access; `user_id` is its Xero user id.
    signed_in_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    redirect_uri = models.CharField(max_length=500)
    scopes = models.JSONField(default=list)
    user_id = models.UUIDField()
    auth_event_id = models.UUIDField(default=uuid.uuid4)
    tenant_ids = models.JSONField(default=list)
    code_challenge = models.CharField(max_length=128, blank=True)
    nonce = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The token family the code bought: revoked if the code is presented again (RFC 6749 §4.1.2).
    grant = models.ForeignKey("Grant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"code for {self.app_id}"


class Grant(models.Model):
    """One user's consent to one app: the family of token sets issued from it."""

    app = models.ForeignKey(DeveloperApp, on_delete=models.CASCADE, related_name="grants")
    session_id = models.UUIDField(default=uuid.uuid4, unique=True)
    user_id = models.UUIDField()
    # The Xero user (the Django user signed in) whose consent this is; None for the fixed sandbox
    # user of token sets issued without the consent page (tests, drills, `issue-token`).
    signed_in_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    scopes = models.JSONField(default=list)
    auth_event_id = models.UUIDField()
    nonce = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"grant {self.session_id}"


class RefreshToken(models.Model):
    """A refresh token (hashed); a spent one keeps the answer it got for the 30-minute grace."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    spent_at = models.DateTimeField(null=True, blank=True)
    # The token set issued when this one was spent, replayed on reuse within the grace period.
    successor_answer = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token of grant {self.grant_id}"


class Connection(models.Model):
    """An organisation authorised for an app by a user (GET /connections lists these)."""

    connection_id = models.UUIDField(default=uuid.uuid4, unique=True)
    app = models.ForeignKey(DeveloperApp, on_delete=models.CASCADE, related_name="connections")
    organisation = models.ForeignKey("xero_sandbox.Organisation", on_delete=models.CASCADE, related_name="connections")
    user_id = models.UUIDField()
    auth_event_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "organisation", "user_id"], name="xs_connection_unique"),
        ]

    def __str__(self) -> str:
        return str(self.connection_id)

"""The channel page's "Connection health" card: what the connection to Xero can still do, and
"Test connection" (the read-only probes of `xero_check`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.checks.xero_check import channel_xero_check
from accounting.models import AccountingChannel, ConnectionState
from accounting.sync.models import XeroOrganisationFacts

# Xero's refresh tokens expire after 60 days unused (XERO_NOTES: "Refresh token: replaced on every
# refresh, expires after 60 days unused").
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=60)
EXPIRY_WARNING = dt.timedelta(days=14)

# What each scope the connect flow asks for (settings.XERO_SCOPES) lets the channel do.
SCOPE_USES = {
    "offline_access": "staying connected (token refresh)",
    "accounting.invoices": "sending invoices",
    "accounting.contacts": "creating customers as contacts",
    "accounting.settings": "reading accounts and tax rates, sending products as items",
    "accounting.payments": "sending payments and refunds",
}


def channel_health(*, channel: AccountingChannel, now: dt.datetime | None = None) -> dict[str, Any]:
    """Return the card's facts (one query, for Xero's last reported limits).

    {"organisation", "state", "connected_at", "last_refresh_at", "refresh_expires_at",
     "refresh_expires_soon", "granted": [scope], "missing": [(scope, use)], "day_remaining",
     "day_limit", "minute_remaining", "reported_at", "can_test"}
    """
    now = now or timezone.now()
    granted = channel.scopes.split()
    missing = [(scope, SCOPE_USES.get(scope, "")) for scope in settings.XERO_SCOPES if scope not in granted]
    last_use = channel.last_token_refresh_at or channel.connected_at
    expires = last_use + REFRESH_TOKEN_LIFETIME if last_use and channel.token_set else None
    facts = XeroOrganisationFacts.objects.filter(tenant_id=channel.tenant_id).first() if channel.tenant_id else None
    return {
        "organisation": channel.tenant_name,
        "state": channel.get_connection_state_display(),
        "connected_at": channel.connected_at,
        "last_refresh_at": channel.last_token_refresh_at,
        "refresh_expires_at": expires,
        "refresh_expires_soon": bool(expires and expires - now < EXPIRY_WARNING),
        "granted": granted,
        "missing": missing,
        "day_remaining": facts.day_remaining if facts else None,
        "day_limit": facts.day_limit if facts else None,
        "minute_remaining": facts.minute_remaining if facts else None,
        "reported_at": facts.day_reported_at if facts else None,
        "can_test": channel.connection_state == ConnectionState.CONNECTED,
    }


def channel_test_connection(*, channel: AccountingChannel) -> dict[str, Any]:
    """Run the read-only probes of `xero_check` against the channel's organisation.

    Return {"ok", "at" (ISO time), "probes": [{"name", "ok", "detail"}]}; a channel that cannot be
    checked gets one failed probe saying why. Nothing is written to Xero or to the channel.
    """
    at = timezone.now().isoformat()
    if channel.connection_state != ConnectionState.CONNECTED:
        detail = f"The channel is {channel.get_connection_state_display().lower()}: connect it to Xero first."
        return {"ok": False, "at": at, "probes": [{"name": "Connection", "ok": False, "detail": detail}]}
    try:
        report = channel_xero_check(channel=channel)
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        return {"ok": False, "at": at, "probes": [{"name": "Connection", "ok": False, "detail": str(exc)}]}
    probes = [{"name": p.name, "ok": p.ok, "detail": p.detail} for p in report.probes]
    return {"ok": not report.failures, "at": at, "probes": probes}

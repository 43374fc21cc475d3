"""The one place that hands out Xero access tokens and refreshes them.

Xero retires a refresh token when it is used, so two processes refreshing one token set at
once make the loser's next refresh fail with `invalid_grant`. Every refresh therefore runs
under the channel's token lock (a named lock: a PostgreSQL advisory lock, or a file lock on
SQLite, held with no transaction open, since the refresh is a call to Xero), re-reads the token
set after taking the lock, and stores the new pair, in a short transaction under the channel's
row lock, before anyone uses it. Call these functions outside a transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounting.alerts.episodes import alert_open
from accounting.models import AccountingChannel, AlertKind, ChannelEvent, ChannelEventKind, ConnectionState
from accounting.providers.xero.oauth import XeroOAuthError, token_refresh
from channels_portal.locks import named_lock

logger = logging.getLogger(__name__)

# Refresh when the access token has less than this left (the SDK's own buffer is also 60 s).
EXPIRY_MARGIN = dt.timedelta(seconds=60)
# Refresh tokens lapse after 60 days unused; the beat task refreshes those idle this long.
IDLE_REFRESH_AFTER = dt.timedelta(days=30)
# Answers of the token endpoint that mean the stored grant is dead and a person must reconnect.
DEAD_GRANT_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client"}


@dataclass(frozen=True)
class AccessGrant:
    access_token: str
    tenant_id: str
    expires_at: dt.datetime

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"AccessGrant(tenant_id={self.tenant_id!r}, expires_at={self.expires_at.isoformat()})"


class ChannelNotConnected(Exception):
    """Raise when a channel has no usable connection (never connected, disconnected, needs reconnect)."""


class TokenRefreshFailed(Exception):
    """Raise when Xero could not be asked for a new token (unreachable, 5xx); the grant may still be good."""


@contextlib.contextmanager
def channel_locked(*, channel_id: int) -> Iterator[AccountingChannel]:
    """Hold the channel's token lock and yield the channel as read after taking it.

    No transaction is open inside (invariant 9): the holder calls Xero, then writes what it
    learnt in a short transaction of its own. Writers of the channel that do not take this
    lock (connecting again, disconnecting) are caught by that write re-reading the row.
    """
    with named_lock(f"accounting-channel-{channel_id}"):
        yield AccountingChannel.objects.get(pk=channel_id)


def _expires_at(channel: AccountingChannel) -> dt.datetime:
    if channel.token_expires_at is not None:
        return channel.token_expires_at
    return dt.datetime.fromtimestamp(float(channel.token_set["expires_at"]), tz=dt.UTC)


def _grant(channel: AccountingChannel) -> AccessGrant:
    return AccessGrant(
        access_token=channel.token_set["access_token"], tenant_id=channel.tenant_id, expires_at=_expires_at(channel)
    )


def _usable(channel: AccountingChannel) -> None:
    if channel.connection_state != ConnectionState.CONNECTED or not channel.token_set:
        reason = channel.state_reason or f"The channel is {channel.get_connection_state_display().lower()}."
        raise ChannelNotConnected(reason)


def _fresh(channel: AccountingChannel) -> bool:
    return _expires_at(channel) - timezone.now() > EXPIRY_MARGIN


def channel_access_grant(*, channel_id: int, force_refresh: bool = False) -> AccessGrant:
    """Return a valid access token for the channel, refreshing it first when needed.

    Refresh when it expires within 60 s, or when `force_refresh` (the caller's token was just
    refused) unless another process has refreshed it meanwhile. Raise ChannelNotConnected when
    the channel has no usable connection, TokenRefreshFailed when Xero cannot be reached.
    """
    channel = AccountingChannel.objects.get(pk=channel_id)
    _usable(channel)
    if not force_refresh and _fresh(channel):
        return _grant(channel)
    seen_access_token = channel.token_set["access_token"]
    return _refresh_locked(channel_id=channel_id, seen_access_token=seen_access_token if force_refresh else None)


def _refresh_locked(*, channel_id: int, seen_access_token: str | None) -> AccessGrant:
    dead_reason = ""
    with channel_locked(channel_id=channel_id) as channel:
        _usable(channel)
        # Re-read after the lock: whoever held it may have refreshed already.
        replaced = seen_access_token is not None and channel.token_set["access_token"] != seen_access_token
        if _fresh(channel) and (seen_access_token is None or replaced):
            return _grant(channel)
        used_refresh_token = channel.token_set["refresh_token"]
        try:
            _refresh_and_store(channel=channel)
            return _grant(channel)
        except XeroOAuthError as exc:
            if exc.error not in DEAD_GRANT_ERRORS:
                raise TokenRefreshFailed(f"Xero could not refresh the token ({exc.error}).") from None
            dead_reason = _dead_grant_reason(exc)
    # Outside the lock's transaction, so that marking the channel is not rolled back with an exception.
    return _after_dead_grant(channel_id=channel_id, used_refresh_token=used_refresh_token, reason=dead_reason)


def _after_dead_grant(*, channel_id: int, used_refresh_token: str, reason: str) -> AccessGrant:
    """Re-read once more: a new pair stored by someone else (e.g. a reconnect) is not a dead grant."""
    with channel_locked(channel_id=channel_id) as channel:
        _usable(channel)
        if channel.token_set["refresh_token"] != used_refresh_token and _fresh(channel):
            return _grant(channel)
        _mark_needs_reconnect(channel=channel, reason=reason)
    raise ChannelNotConnected(reason)


@sensitive_variables("token_set", "client_secret")
def _refresh_and_store(*, channel: AccountingChannel) -> None:
    client_secret = channel.client_secret or ""
    token_set = token_refresh(
        client_id=channel.client_id, client_secret=client_secret, refresh_token=channel.token_set["refresh_token"]
    )
    used_refresh_token = channel.token_set["refresh_token"]
    with transaction.atomic():
        current = AccountingChannel.objects.select_for_update().get(pk=channel.pk)
        if current.token_set.get("refresh_token") != used_refresh_token:
            # Connected again (or disconnected) while Xero answered: the stored pair is newer.
            channel.refresh_from_db()
            return
        now = timezone.now()
        channel.token_set = token_set
        channel.token_expires_at = dt.datetime.fromtimestamp(token_set["expires_at"], tz=dt.UTC)
        channel.scopes = " ".join(token_set["scope"]) or channel.scopes
        channel.last_token_refresh_at = now
        channel.save(update_fields=["token_set", "token_expires_at", "scopes", "last_token_refresh_at", "updated_at"])
        ChannelEvent.objects.create(channel=channel, kind=ChannelEventKind.TOKEN_REFRESHED)


def _dead_grant_reason(exc: XeroOAuthError) -> str:
    if exc.error == "invalid_client":
        return "Xero no longer accepts the channel's Client ID and Client Secret. Check them, then connect again."
    return "Xero no longer accepts the channel's connection (the authorisation expired or was revoked). Connect again."


def _mark_needs_reconnect(*, channel: AccountingChannel, reason: str) -> None:
    # is_active stays as the user set it: sending needs is_active AND connected, so this pauses
    # the channel by itself and a reconnect resumes it.
    channel_id = channel.pk
    with transaction.atomic():
        channel.connection_state = ConnectionState.NEEDS_RECONNECT
        channel.state_reason = reason
        channel.save(update_fields=["connection_state", "state_reason", "updated_at"])
        ChannelEvent.objects.create(channel=channel, kind=ChannelEventKind.NEEDS_RECONNECT, message=reason[:500])
        # One e-mail per episode, sent once this commits (robust: a mail server that is down must
        # not turn the mark into an error); the episode ends when the channel is connected again.
        alert_open(channel_id=channel_id, kind=AlertKind.NEEDS_RECONNECT, detail=reason)
    logger.warning("Channel %s needs reconnect: %s", channel_id, reason)


def channel_mark_needs_reconnect(*, channel_id: int, reason: str) -> None:
    """Mark a connected channel "needs reconnect" (e.g. Xero answered 403 AuthenticationUnsuccessful).

    Sending pauses at once; the organization's owners and admins are e-mailed. A channel that is
    not connected any more is left as it is.
    """
    with channel_locked(channel_id=channel_id) as channel:
        if channel.connection_state != ConnectionState.CONNECTED:
            return
        _mark_needs_reconnect(channel=channel, reason=reason)


def channel_refresh_if_idle(*, channel_id: int, idle_for: dt.timedelta = IDLE_REFRESH_AFTER) -> bool:
    """Refresh the channel's token set if it has not been refreshed for `idle_for`; return whether it was.

    Keeps the 60-day refresh token alive for channels that send nothing for weeks.
    """
    channel = AccountingChannel.objects.get(pk=channel_id)
    if not _idle(channel, idle_for=idle_for):
        return False
    with channel_locked(channel_id=channel_id) as channel:
        if channel.connection_state != ConnectionState.CONNECTED or not _idle(channel, idle_for=idle_for):
            return False
        used_refresh_token = channel.token_set["refresh_token"]
        try:
            _refresh_and_store(channel=channel)
            return True
        except XeroOAuthError as exc:
            if exc.error not in DEAD_GRANT_ERRORS:
                raise TokenRefreshFailed(f"Xero could not refresh the token ({exc.error}).") from None
            reason = _dead_grant_reason(exc)
    with contextlib.suppress(ChannelNotConnected):
        _after_dead_grant(channel_id=channel_id, used_refresh_token=used_refresh_token, reason=reason)
    return False


def _idle(channel: AccountingChannel, *, idle_for: dt.timedelta) -> bool:
    last = channel.last_token_refresh_at or channel.connected_at
    return last is not None and timezone.now() - last >= idle_for


__all__ = [
    "AccessGrant",
    "ChannelNotConnected",
    "TokenRefreshFailed",
    "channel_access_grant",
    "channel_mark_needs_reconnect",
    "channel_refresh_if_idle",
]

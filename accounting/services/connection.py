"""Connecting a channel to Xero (consent, callback, organisation choice) and disconnecting it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed, channel_access_grant
from accounting.alerts.episodes import alert_resolve
from accounting.books.payouts import connect_scopes
from accounting.models import (
    AccountingChannel,
    AlertKind,
    AuthorizationOutcome,
    ChannelAuthorization,
    ChannelEvent,
    ChannelEventKind,
    ConnectionState,
)
from accounting.providers.xero.identity import ACCESS_REFUSED, XeroConnection, connection_delete, connections_list
from accounting.providers.xero.oauth import UNREACHABLE, XeroOAuthError, authorization_request, code_exchange
from accounting.selectors import active_channel_conflicts
from accounting.sync.models import SyncRecord, SyncState

# How long a consent trip may take; Xero documents no code lifetime, so exchange at once.
AUTHORIZATION_TTL = dt.timedelta(minutes=10)
# How long the token set waits, encrypted, for the user to pick an organisation.
CHOICE_TTL = dt.timedelta(minutes=30)
# Consent trips are kept this long for support, then deleted (the channel's events stay).
AUTHORIZATION_KEPT = dt.timedelta(days=1)

DISCONNECT_UNREACHABLE = "Xero could not be reached, so the channel is still connected. Try again later."
STATE_MISSING = "The answer from Xero carries no state."
STATE_NOT_YOURS = "The state does not belong to a connection you started."
STATE_USED = "This answer from Xero has already been used."
STATE_EXPIRED = "The connection was started too long ago."


class InvalidAuthorizationState(Exception):
    """Raise when the callback's state is missing, unknown, reused, expired or not this user's."""


class ConnectError(Exception):
    """Raise when connecting failed for a reason the user can act on (the message says which)."""


@dataclass
class CallbackResult:
    channel: AccountingChannel
    connected: bool = False
    authorization: ChannelAuthorization | None = None  # set when an organisation must be picked
    notes: list[str] = field(default_factory=list)


def state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@transaction.atomic
def authorization_start(*, channel: AccountingChannel, user: User, redirect_uri: str) -> tuple[str, str]:
    """Record a consent trip for `channel` and return (the Xero authorize URL, its state)."""
    if not channel.client_id or not channel.client_secret:
        raise ConnectError("Enter the channel's Client ID and Client Secret before connecting.")
    scopes = connect_scopes(channel=channel, base=list(settings.XERO_SCOPES))  # with payouts' scope once set up
    request = authorization_request(client_id=channel.client_id, redirect_uri=redirect_uri, scopes=scopes)
    # Housekeeping: no abandoned trip keeps a token set waiting for a pick for long.
    ChannelAuthorization.objects.filter(created_at__lt=timezone.now() - AUTHORIZATION_KEPT).delete()
    ChannelAuthorization.objects.create(
        channel=channel,
        user=user,
        state_digest=state_digest(request.state),
        code_verifier=request.code_verifier,
        redirect_uri=redirect_uri,
    )
    return request.url, request.state


def authorization_claim(*, state: str, user: User) -> ChannelAuthorization:
    """Take the pending consent trip of `state` for this user, once; raise InvalidAuthorizationState."""
    if not state:
        raise InvalidAuthorizationState(STATE_MISSING)
    now = timezone.now()
    with transaction.atomic():
        authorization = (
            ChannelAuthorization.objects.select_for_update()
            .select_related("channel__store")
            .filter(state_digest=state_digest(state), user=user)
            .first()
        )
        if authorization is None:
            raise InvalidAuthorizationState(STATE_NOT_YOURS)
        if authorization.completed_at is not None:
            raise InvalidAuthorizationState(STATE_USED)
        authorization.completed_at = now
        authorization.outcome = AuthorizationOutcome.FAILED  # until it succeeds
        authorization.save(update_fields=["completed_at", "outcome"])
    if now - authorization.created_at > AUTHORIZATION_TTL:
        raise InvalidAuthorizationState(STATE_EXPIRED)
    return authorization


def _finish(authorization: ChannelAuthorization, outcome: str, **fields: Any) -> None:
    authorization.outcome = outcome
    for name, value in fields.items():
        setattr(authorization, name, value)
    authorization.save(update_fields=["outcome", *fields])


def exchange_error_message(exc: XeroOAuthError, *, redirect_uri: str) -> str:
    """Return what the user should check when Xero refuses the code exchange."""
    if exc.error == "invalid_client":
        return (
            "Xero rejected the Client ID or Client Secret. Copy both again from your Xero app "
            "(developer.xero.com → My Apps) into the channel, then connect again."
        )
    if exc.error == "invalid_grant":
        return (
            "Xero rejected the authorisation code. Check that your Xero app's redirect URI is exactly "
            f"{redirect_uri}, then connect again."
        )
    if exc.error == "unauthorized_client":
        return "Your Xero app may not use this sign-in flow or these scopes. Check it is a Xero “Web app”."
    if exc.error == UNREACHABLE:
        return "Xero could not be reached. Nothing was changed; try connecting again in a few minutes."
    return f"Xero refused the connection ({exc.error}). Nothing was changed; try connecting again."


def callback_error_message(error: str) -> str:
    """Return the message for an error Xero sent back instead of a code (an OAuth2 error code)."""
    if not re.fullmatch(r"[a-z_]{1,40}", error):
        error = "unknown_error"  # the query string is the browser's: show no free text from it
    if error == "access_denied":
        return "Xero access was not granted. The channel was not changed."
    if error in ("invalid_scope", "unauthorized_client"):
        return f"Xero refused the request ({error}): the Xero app may not be allowed these scopes."
    return f"Xero refused the request ({error}). The channel was not changed."


@sensitive_variables("code", "token_set", "client_secret")
def authorization_complete(*, authorization: ChannelAuthorization, code: str, error: str) -> CallbackResult:
    """Finish a claimed consent trip: exchange the code and record the organisation (or offer a choice).

    Raise ConnectError, with the channel unchanged, when Xero refused or no organisation came back.
    """
    channel = authorization.channel
    if error or not code:
        _finish(authorization, AuthorizationOutcome.DENIED if error == "access_denied" else AuthorizationOutcome.FAILED)
        raise ConnectError(callback_error_message(error or "no_code"))
    client_secret = channel.client_secret or ""
    try:
        token_set = code_exchange(
            client_id=channel.client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=authorization.redirect_uri,
            code_verifier=authorization.code_verifier,
        )
        connections = connections_list(access_token=token_set["access_token"])
    except XeroOAuthError as exc:
        raise ConnectError(exchange_error_message(exc, redirect_uri=authorization.redirect_uri)) from None
    if not connections:
        raise ConnectError("Xero returned no organisation for this consent. Connect again and pick an organisation.")
    if len(connections) > 1:
        offered = [
            {"id": c.id, "tenant_id": c.tenant_id, "tenant_name": c.tenant_name, "auth_event_id": c.auth_event_id}
            for c in connections
        ]
        _finish(authorization, AuthorizationOutcome.CHOOSING, token_set=token_set, connections=offered)
        return CallbackResult(channel=channel, authorization=authorization)
    notes = channel_connect_record(
        channel=channel, token_set=token_set, connection=connections[0], user=authorization.user
    )
    _finish(authorization, AuthorizationOutcome.CONNECTED)
    return CallbackResult(channel=channel, connected=True, notes=notes)


def authorization_choose(*, authorization: ChannelAuthorization, connection_id: str) -> CallbackResult:
    """Record the organisation the user picked among those of one consent."""
    chosen = next((c for c in authorization.connections if c["id"] == connection_id), None)
    if chosen is None:
        raise ConnectError("Pick one of the organisations listed.")
    waited_too_long = authorization.completed_at is None or timezone.now() - authorization.completed_at > CHOICE_TTL
    if waited_too_long or not authorization.token_set:
        _finish(authorization, AuthorizationOutcome.FAILED, token_set=None)
        raise ConnectError("The choice waited too long. Connect again.")
    connection = XeroConnection(
        id=chosen["id"],
        tenant_id=chosen["tenant_id"],
        tenant_name=chosen["tenant_name"],
        tenant_type="",
        auth_event_id="",
    )
    notes = channel_connect_record(
        channel=authorization.channel, token_set=authorization.token_set, connection=connection, user=authorization.user
    )
    _finish(authorization, AuthorizationOutcome.CONNECTED, token_set=None)
    notes += unpicked_connections_remove(channel=authorization.channel, unpicked=_unpicked(authorization, chosen))
    return CallbackResult(channel=authorization.channel, connected=True, notes=notes)


def _unpicked(authorization: ChannelAuthorization, chosen: dict[str, str]) -> list[dict[str, str]]:
    """Return the connections this consent made that the user did not pick and no channel uses.

    Only those of the same consent (auth event): a token without that claim lists every
    connection of the user, and another channel may send through one of them."""
    event = chosen.get("auth_event_id")
    return [
        c
        for c in authorization.connections
        if c["id"] != chosen["id"]
        and event
        and c.get("auth_event_id") == event
        and not AccountingChannel.objects.filter(connection_id=c["id"]).exists()
    ]


def unpicked_connections_remove(*, channel: AccountingChannel, unpicked: list[dict[str, str]]) -> list[str]:
    """Delete in Xero the connections of this consent to organisations the user did not pick.

    One consent may connect several organisations; only the picked one is used, and an unused
    connection still counts against the app's connection cap (Starter: 5) and keeps access open.
    Return a note naming those Xero could not be told about (the channel stays connected).
    """
    if not unpicked:
        return []
    left: list[str] = []
    try:
        access_token = channel_access_grant(channel_id=channel.pk).access_token
    except (ChannelNotConnected, TokenRefreshFailed):
        access_token = ""  # nosec B105  # no token (empty) when the channel cannot get one
    for connection in unpicked:
        try:
            if not access_token:
                raise XeroOAuthError(UNREACHABLE)
            connection_delete(access_token=access_token, connection_id=connection["id"])
        except XeroOAuthError:
            left.append(connection["tenant_name"])
    if not left:
        return []
    names = ", ".join(left)
    return [f"Xero still lists {names} as connected to your app: remove it in Xero (Settings → Connected apps)."]


@transaction.atomic
@sensitive_variables("token_set")
def channel_connect_record(
    *, channel: AccountingChannel, token_set: dict[str, Any], connection: XeroConnection, user: User | None
) -> list[str]:
    """Store the token set and the Xero organisation on the channel; return notes for the user."""
    channel = AccountingChannel.objects.select_for_update().select_related("store").get(pk=channel.pk)
    if channel.tenant_id and channel.tenant_id != connection.tenant_id and _has_sent_anything(channel):
        # Its ledger holds the old organisation's InvoiceIDs and ItemIDs: edits would be sent to the
        # new organisation under ids it never issued. A new channel starts a new ledger.
        raise ConnectError(
            f"This channel sends to {channel.tenant_name or 'another Xero organisation'}. "
            "To send to another Xero organisation, add a new channel."
        )
    now = timezone.now()
    channel.token_set = token_set
    channel.token_expires_at = dt.datetime.fromtimestamp(token_set["expires_at"], tz=dt.UTC)
    channel.scopes = " ".join(token_set["scope"])
    channel.tenant_id = connection.tenant_id
    channel.tenant_name = connection.tenant_name
    channel.connection_id = connection.id
    channel.connection_state = ConnectionState.CONNECTED
    channel.state_reason = ""
    channel.connected_at = channel.last_token_refresh_at = now
    notes = []
    if channel.is_active and active_channel_conflicts(channel=channel).exists():
        # Connected to an organisation another active channel already fills with the same prefix.
        channel.is_active = False
        notes.append(
            f"“{channel.name}” was switched off: another active channel already sends to "
            f"{connection.tenant_name} with the same invoice number prefix."
        )
    channel.save()
    alert_resolve(channel_id=channel.pk, kind=AlertKind.NEEDS_RECONNECT)
    ChannelEvent.objects.create(
        channel=channel,
        kind=ChannelEventKind.CONNECTED,
        message=connection.tenant_name[:500],
        user=user,
    )
    return notes


def _has_sent_anything(channel: AccountingChannel) -> bool:
    """Return whether the channel's ledger may hold records of the organisation it is connected to.

    A row in flight, or whose answer was lost, may have been written in Xero too.
    """
    sent = Q(state__in=[SyncState.SYNCED, SyncState.IN_FLIGHT]) | Q(needs_lookup=True) | ~Q(xero_id="")
    return SyncRecord.objects.filter(sent, channel=channel).exists()


def channel_disconnect(*, channel: AccountingChannel, user: User) -> str:
    """Remove the channel's connection in Xero and mark it disconnected (its history stays).

    Return a note for the user. Raise ConnectError, with nothing changed, when Xero cannot be reached.
    """
    note = f"“{channel.name}” is disconnected from {channel.tenant_name or 'Xero'}."
    try:
        grant = channel_access_grant(channel_id=channel.pk)
        if channel.connection_id:
            connection_delete(access_token=grant.access_token, connection_id=channel.connection_id)
    except ChannelNotConnected:
        note += " Xero could not be told (the connection was already broken): remove the app in Xero if it is listed."
    except XeroOAuthError as exc:
        if exc.error not in ACCESS_REFUSED:
            raise ConnectError(DISCONNECT_UNREACHABLE) from None
        # Xero no longer accepts the channel's token (access revoked in Xero): nothing is left to remove there.
        note += (
            " Xero no longer accepted the channel's access (it was revoked in Xero), so the connection is "
            "treated as gone: remove the app in Xero if it is still listed."
        )
    except TokenRefreshFailed:
        raise ConnectError(DISCONNECT_UNREACHABLE) from None
    with transaction.atomic():
        channel = AccountingChannel.objects.select_for_update().get(pk=channel.pk)
        channel.connection_state = ConnectionState.DISCONNECTED
        channel.state_reason = "Disconnected by a user."
        channel.is_active = False
        channel.token_set = None
        channel.token_expires_at = None
        channel.connection_id = ""
        channel.save()
        alert_resolve(channel_id=channel.pk, kind=AlertKind.NEEDS_RECONNECT)
        ChannelEvent.objects.create(
            channel=channel,
            kind=ChannelEventKind.DISCONNECTED,
            message=channel.tenant_name[:500],
            user=user,
        )
    return note

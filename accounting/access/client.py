"""A Xero client for one channel outside the sync engine (pages, checks): a fresh access grant,
and the same limiter as the workers, so a page's call counts against the organisation's budget."""

from __future__ import annotations

from collections.abc import Mapping

from accounting.access.facts import day_limit_of
from accounting.access.limiter import LimiterGate, limiter
from accounting.access.tokens import AccessGrant, channel_access_grant
from accounting.models import AccountingChannel
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroRateLimited
from accounting.providers.xero.transport import Gate


class RecordingGate:
    """A limiter gate that keeps the headers of the last answer (Xero's limits remaining)."""

    def __init__(self, gate: LimiterGate):
        self._gate = gate
        self.last_headers: dict[str, str] = {}

    def acquire(self) -> object:
        return self._gate.acquire()

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None:
        if headers:
            self.last_headers = dict(headers)
        self._gate.release(permit, headers=headers)

    def pause(self, *, error: XeroRateLimited) -> None:
        self._gate.pause(error=error)


def channel_gate(*, channel: AccountingChannel, grant: AccessGrant) -> LimiterGate:
    """Return the limiter's gate for the channel's organisation and app, with the day limit Xero reported."""
    return LimiterGate(
        limiter=limiter(), tenant_id=grant.tenant_id, app_key=channel.client_id,
        day_limit=day_limit_of(tenant_id=grant.tenant_id),
    )  # fmt: skip


def client_for(*, channel: AccountingChannel, grant: AccessGrant, gate: Gate, reauth: bool = True) -> XeroClient:
    """Return a client of the channel's organisation through `gate`; with `reauth`, a 401 gets one
    forced token refresh (a page's own check never forces one: it must not be what breaks a connection)."""
    return XeroClient(
        access_token=grant.access_token,
        tenant_id=grant.tenant_id,
        gate=gate,
        reauth=(lambda: channel_access_grant(channel_id=channel.pk, force_refresh=True).access_token)
        if reauth
        else None,
    )


def channel_xero_client(*, channel: AccountingChannel, reauth: bool = True) -> tuple[XeroClient, RecordingGate]:
    """Return a client of the channel's Xero organisation and its gate (which keeps Xero's last headers).

    Raise `tokens.ChannelNotConnected` or `tokens.TokenRefreshFailed` when no access token can be had.
    """
    grant = channel_access_grant(channel_id=channel.pk)
    gate = RecordingGate(channel_gate(channel=channel, grant=grant))
    return client_for(channel=channel, grant=grant, gate=gate, reauth=reauth), gate

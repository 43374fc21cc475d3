"""Fixtures of the accounting channel tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounting.models import AccountingChannel, ConnectionState
from tests.factories import AccountingChannelFactory


def connect_locally(channel: AccountingChannel, *, tenant_id: str, tenant_name: str, **fields) -> AccountingChannel:
    """Give `channel` a stored connection, as a finished consent leaves it (no call to Xero)."""
    expires_at = timezone.now() + dt.timedelta(minutes=30)
    channel.token_set = {
        "access_token": "access-token-for-tests",
        "refresh_token": "refresh-token-for-tests",
        "id_token": None,
        "scope": ["offline_access", "accounting.invoices"],
        "expires_in": 1800,
        "expires_at": expires_at.timestamp(),
        "token_type": "Bearer",
    }
    channel.token_expires_at = expires_at
    channel.tenant_id = tenant_id
    channel.tenant_name = tenant_name
    channel.connection_id = f"conn-{tenant_id}"
    channel.connection_state = ConnectionState.CONNECTED
    channel.connected_at = channel.last_token_refresh_at = timezone.now()
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.save()
    return channel


@pytest.fixture
def channel(store):
    return AccountingChannelFactory.create(
        store=store, name="Main books", client_id="CLIENTID0001", client_secret="s3cr3t-value-9876"
    )


@pytest.fixture
def connected_channel(channel):
    return connect_locally(channel, tenant_id="11111111-1111-1111-1111-111111111111", tenant_name="Demo Company (UK)")


def connect_to_sandbox(channel: AccountingChannel, *, organisation=None, app=None, **fields) -> AccountingChannel:
    """Connect `channel` to a sandbox organisation (a new one unless given) with a real token set,
    so that what the portal asks Xero (the pre-flight of "Is Active") is answered over HTTP.
    Needs the `xero_sandbox` fixture."""
    from xero_sandbox import testing

    app = app or testing.app_create(name=f"App of {channel.name}")
    organisation = organisation or testing.organisation_create(name="Demo Company (UK)")
    token_set = testing.token_issue(app=app, organisations=[organisation])
    connect_locally(
        channel, tenant_id=str(organisation.tenant_id), tenant_name=organisation.name, client_id=app.client_id,
        client_secret=app.client_secret, **fields,
    )  # fmt: skip
    channel.token_set = token_set
    channel.token_expires_at = dt.datetime.fromtimestamp(token_set["expires_at"], tz=dt.UTC)
    channel.scopes = " ".join(token_set["scope"])
    channel.save()
    return channel


@pytest.fixture
def sandbox_channel_of_store(channel, xero_sandbox):
    """`channel` connected to a sandbox organisation over real HTTP."""
    return connect_to_sandbox(channel)

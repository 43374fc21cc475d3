"""The token hand-out against the sandbox: one refresh under a race, dead grants, idle refresh."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounting.access.tokens import (
    ChannelNotConnected,
    TokenRefreshFailed,
    channel_access_grant,
    channel_mark_needs_reconnect,
)
from accounting.models import AccountingChannel, ChannelEvent, ConnectionState
from accounting.providers.xero.oauth import token_revoke
from accounting.tasks import refresh_idle_tokens
from tests.accounting.conftest import connect_locally
from tests.accounting.sandbox import sandbox_app, sandbox_org, sandbox_token_set, token_requests
from tests.factories import AccountingChannelFactory, MembershipFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox_channel(xero_sandbox, organization):
    """A channel connected to a sandbox organisation with a real token set that expires in 10 s."""
    app = sandbox_app(redirect_uri="http://localhost/xero/callback/")
    tenant_id = sandbox_org("Demo Company (UK)")
    channel = AccountingChannelFactory.create(
        store=StoreFactory.create(organization=organization, name="High Street"),
        name="Main books",
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    token_set = sandbox_token_set(client_id=app["client_id"], tenant_id=tenant_id)
    connect_locally(channel, tenant_id=tenant_id, tenant_name="Demo Company (UK)", is_active=True)
    almost_expired = timezone.now() + dt.timedelta(seconds=10)
    channel.token_set = {**token_set, "expires_at": almost_expired.timestamp()}
    channel.token_expires_at = almost_expired
    channel.save()
    return channel


def test_a_fresh_token_is_handed_out_without_calling_xero(sandbox_channel):
    AccountingChannel.objects.filter(pk=sandbox_channel.pk).update(
        token_expires_at=timezone.now() + dt.timedelta(minutes=20)
    )
    grant = channel_access_grant(channel_id=sandbox_channel.pk)
    assert grant.access_token == sandbox_channel.token_set["access_token"]
    assert grant.tenant_id == sandbox_channel.tenant_id
    assert token_requests("refresh_token") == []


def test_many_threads_needing_a_token_at_once_cause_exactly_one_refresh(sandbox_channel):
    old_access_token = sandbox_channel.token_set["access_token"]
    barrier = threading.Barrier(8)
    grants, errors = [], []

    def worker():
        try:
            barrier.wait()
            grants.append(channel_access_grant(channel_id=sandbox_channel.pk))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len({grant.access_token for grant in grants}) == 1 and len(grants) == 8
    refreshes = token_requests("refresh_token")
    assert [row.status for row in refreshes] == [200]
    channel = AccountingChannel.objects.get(pk=sandbox_channel.pk)
    assert grants[0].access_token == channel.token_set["access_token"] != old_access_token
    assert channel.token_set["refresh_token"] != sandbox_channel.token_set["refresh_token"]
    assert channel.token_expires_at is not None
    assert channel.token_expires_at > timezone.now() + dt.timedelta(minutes=29)
    assert ChannelEvent.objects.filter(channel=channel, kind="token_refreshed").count() == 1


def test_force_refresh_refreshes_once_even_if_asked_twice_with_the_same_refused_token(sandbox_channel):
    AccountingChannel.objects.filter(pk=sandbox_channel.pk).update(
        token_expires_at=timezone.now() + dt.timedelta(minutes=20)
    )
    first = channel_access_grant(channel_id=sandbox_channel.pk, force_refresh=True)
    assert first.access_token != sandbox_channel.token_set["access_token"]
    assert len(token_requests("refresh_token")) == 1
    # A second caller whose (old) token was refused meanwhile gets the new one without a refresh.
    second = channel_access_grant(channel_id=sandbox_channel.pk)
    assert second.access_token == first.access_token
    assert len(token_requests("refresh_token")) == 1


def test_a_dead_grant_marks_the_channel_needs_reconnect_and_emails_owners_and_admins(sandbox_channel, organization):
    MembershipFactory.create(organization=organization, user=UserFactory.create(username="owner"), role="owner")
    MembershipFactory.create(organization=organization, user=UserFactory.create(username="admin"), role="admin")
    token_revoke(
        client_id=sandbox_channel.client_id,
        client_secret=sandbox_channel.client_secret,
        refresh_token=sandbox_channel.token_set["refresh_token"],
    )
    with pytest.raises(ChannelNotConnected, match="Connect again"):
        channel_access_grant(channel_id=sandbox_channel.pk)
    assert [row.status for row in token_requests("refresh_token")] == [400]
    channel = AccountingChannel.objects.get(pk=sandbox_channel.pk)
    assert channel.connection_state == ConnectionState.NEEDS_RECONNECT
    assert channel.state_reason == (
        "Xero no longer accepts the channel's connection (the authorisation expired or was revoked). Connect again."
    )
    assert channel.is_active is True  # kept as the user set it; not sending because not connected
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["admin@example.com", "owner@example.com"]  # not the operator
    assert mail.outbox[0].subject == "Reconnect the Xero channel “Main books” of High Street"
    assert f"/channels/{channel.pk}/" in mail.outbox[0].body
    # Later callers are told at once, without asking Xero again.
    with pytest.raises(ChannelNotConnected):
        channel_access_grant(channel_id=sandbox_channel.pk)
    assert len(token_requests("refresh_token")) == 1


def test_mark_needs_reconnect_after_a_403(sandbox_channel):
    channel_mark_needs_reconnect(channel_id=sandbox_channel.pk, reason="Xero answered 403 AuthenticationUnsuccessful.")
    channel = AccountingChannel.objects.get(pk=sandbox_channel.pk)
    assert (channel.connection_state, channel.state_reason) == (
        ConnectionState.NEEDS_RECONNECT,
        "Xero answered 403 AuthenticationUnsuccessful.",
    )
    assert channel.is_sending is False


def test_xero_unreachable_is_a_temporary_failure_that_changes_nothing(sandbox_channel, settings):
    settings.XERO_IDENTITY_URL = "http://127.0.0.1:9/identity"  # discard port: connection refused
    with pytest.raises(TokenRefreshFailed, match="unreachable"):
        channel_access_grant(channel_id=sandbox_channel.pk)
    channel = AccountingChannel.objects.get(pk=sandbox_channel.pk)
    assert channel.connection_state == ConnectionState.CONNECTED
    assert channel.token_set == sandbox_channel.token_set


def test_the_beat_task_refreshes_only_tokens_idle_for_30_days(sandbox_channel):
    fresh = connect_locally(
        AccountingChannelFactory.create(store=sandbox_channel.store, name="Fresh"), tenant_id="t-fresh", tenant_name="F"
    )
    AccountingChannel.objects.filter(pk=sandbox_channel.pk).update(
        last_token_refresh_at=timezone.now() - dt.timedelta(days=31),
        token_expires_at=timezone.now() + dt.timedelta(minutes=20),
    )
    assert refresh_idle_tokens() == 1
    channel = AccountingChannel.objects.get(pk=sandbox_channel.pk)
    assert channel.token_set["refresh_token"] != sandbox_channel.token_set["refresh_token"]
    assert channel.last_token_refresh_at is not None
    assert timezone.now() - channel.last_token_refresh_at < dt.timedelta(minutes=1)
    assert AccountingChannel.objects.get(pk=fresh.pk).token_set == fresh.token_set
    assert refresh_idle_tokens() == 0


REFRESH_IN_A_PROCESS = """
import time, django
django.setup()
from accounting.access.tokens import channel_access_grant
time.sleep(max(0.0, {start_at} - time.time()))
print(channel_access_grant(channel_id={channel_id}).access_token)
"""


def test_many_processes_needing_a_token_at_once_cause_exactly_one_refresh(sandbox_channel, xero_sandbox):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "channels_portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "XERO_IDENTITY_URL": f"{xero_sandbox}/identity",
    }
    code = REFRESH_IN_A_PROCESS.format(start_at=time.time() + 4, channel_id=sandbox_channel.pk)
    root = Path(__file__).resolve().parents[2]
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    tokens = [process.communicate(timeout=60)[0].strip() for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0]
    channel = AccountingChannel.objects.get(pk=sandbox_channel.pk)
    assert tokens == [channel.token_set["access_token"]] * 4
    assert [row.status for row in token_requests("refresh_token")] == [200]

"""Drill 2 in reduced form: 10 callers at expiry for 5 rounds, and a dropped refresh answer."""

from __future__ import annotations

import io

import pytest

from drills import tokens

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_ten_callers_at_expiry_cause_one_refresh_a_round_and_a_dropped_answer_recovers(xero_sandbox, organization):
    out = io.StringIO()
    figures = tokens.run(callers=10, rounds=5, organization=organization, out=out)
    assert figures == {
        "rounds": 5,
        "callers": 10,
        "rounds_with_exactly_one_refresh": 5,
        "refreshes": 5,
        "invalid_grant": 0,
        "caller_errors": 0,
        "grants": 50,
        "rounds_with_one_token": 5,
        "dropped_answer_recovered": True,
        "dropped_answer_reuse_status": 200,
    }
    assert "rounds with exactly one refresh: 5/5 (5 refreshes in all)" in out.getvalue()


def test_the_same_dropped_answer_past_the_grace_window_is_a_dead_grant(xero_sandbox, organization):
    """The grace window is what the recovery rests on: 31 minutes later the same drop needs a reconnect."""
    import datetime as dt

    from django.utils import timezone

    from accounting.access.tokens import ChannelNotConnected, channel_access_grant
    from accounting.models import AccountingChannel, ConnectionState
    from accounting.providers.xero.oauth import token_refresh
    from xero_sandbox.models import RefreshToken

    channel = tokens.connected_channel_create(organization=organization)
    refresh_token = channel.token_set["refresh_token"]
    token_refresh(client_id=channel.client_id, client_secret=channel.client_secret, refresh_token=refresh_token)
    RefreshToken.objects.filter(spent_at__isnull=False).update(spent_at=timezone.now() - dt.timedelta(minutes=31))
    with pytest.raises(ChannelNotConnected, match="Connect again"):
        channel_access_grant(channel_id=channel.pk, force_refresh=True)
    assert AccountingChannel.objects.get(pk=channel.pk).connection_state == ConnectionState.NEEDS_RECONNECT

"""Connect and the callback's state handling: the parts that need no answer from Xero.

Cancel on Xero's consent page comes back with `error=access_denied` and no code, so the
cancel, reuse, forgery and expiry cases run without the sandbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounting.models import AccountingChannel, AuthorizationOutcome, ChannelAuthorization
from accounting.services.connection import STATE_EXPIRED
from accounting.views.connect import STATE_NOT_FROM_THIS_BROWSER
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
CALLBACK = "/xero/callback/"


def connect(client, channel) -> dict[str, str]:
    """Press "Connect"; return the query parameters of the authorize URL the browser is sent to."""
    response = client.post(reverse("accounting:channel-connect", args=[channel.pk]))
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    return {key: values[0] for key, values in parse_qs(url.query).items()} | {"_url": url._replace(query="").geturl()}


def test_connect_sends_the_browser_to_xero_with_state_pkce_and_granular_scopes(member_client, channel, settings):
    params = connect(member_client, channel)
    assert params["_url"] == f"{settings.XERO_LOGIN_URL}/identity/connect/authorize"
    assert params["response_type"] == "code"
    assert params["client_id"] == "CLIENTID0001"
    assert params["redirect_uri"] == "http://testserver/xero/callback/"
    assert (
        params["scope"]
        == "offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings"
    )
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) == 40
    authorization = ChannelAuthorization.objects.get(channel=channel)
    assert authorization.state_digest == hashlib.sha256(params["state"].encode()).hexdigest()
    expected_challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(authorization.code_verifier.encode()).digest()).rstrip(b"=").decode()
    )
    assert params["code_challenge"] == expected_challenge
    # A second press gets another state.
    assert connect(member_client, channel)["state"] != params["state"]


def test_cancel_on_xero_returns_to_the_channel_with_a_message_and_changes_nothing(member_client, channel):
    state = connect(member_client, channel)["state"]
    before = AccountingChannel.objects.values().get(pk=channel.pk)
    response = member_client.get(CALLBACK, {"error": "access_denied", "state": state}, follow=True)
    assert response.redirect_chain == [(reverse("accounting:channel-detail", args=[channel.pk]), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Xero access was not granted. The channel was not changed."
    ]
    assert AccountingChannel.objects.values().get(pk=channel.pk) == before
    assert ChannelAuthorization.objects.get(channel=channel).outcome == AuthorizationOutcome.DENIED


def test_a_reused_state_answers_400_and_changes_nothing(member_client, channel):
    state = connect(member_client, channel)["state"]
    member_client.get(CALLBACK, {"error": "access_denied", "state": state})
    response = member_client.get(CALLBACK, {"code": "any-code", "state": state})
    assert response.status_code == 400
    assert "<h1>This answer from Xero cannot be used</h1>" in response.content.decode()
    assert response.context["reason"] == STATE_NOT_FROM_THIS_BROWSER  # this browser's state was used up
    assert AccountingChannel.objects.get(pk=channel.pk).connection_state == "not_connected"


@pytest.mark.parametrize("query", [{"code": "abc", "state": "forged-state-value"}, {"code": "abc"}, {}])
def test_a_forged_or_missing_state_answers_400(member_client, channel, query):
    connect(member_client, channel)
    response = member_client.get(CALLBACK, query)
    assert response.status_code == 400
    assert response.context["reason"] == STATE_NOT_FROM_THIS_BROWSER
    assert ChannelAuthorization.objects.get(channel=channel).completed_at is None


def test_a_state_started_in_another_session_answers_400(member_client, client, organization, channel):
    state = connect(member_client, channel)["state"]
    colleague = MembershipFactory.create(organization=organization, user=UserFactory.create(username="colleague")).user
    client.force_login(colleague)
    response = client.get(CALLBACK, {"code": "abc", "state": state})
    assert response.status_code == 400
    # The rightful browser can still finish.
    assert ChannelAuthorization.objects.get(channel=channel).completed_at is None


def test_an_expired_state_answers_400(member_client, channel):
    state = connect(member_client, channel)["state"]
    ChannelAuthorization.objects.filter(channel=channel).update(
        created_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=11)
    )
    response = member_client.get(CALLBACK, {"code": "abc", "state": state})
    assert response.status_code == 400
    assert response.context["reason"] == STATE_EXPIRED


def test_other_xero_errors_are_named(member_client, channel):
    state = connect(member_client, channel)["state"]
    response = member_client.get(CALLBACK, {"error": "invalid_scope", "state": state}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Xero refused the request (invalid_scope): the Xero app may not be allowed these scopes."
    ]


def test_connect_needs_a_client_secret(member_client, channel):
    AccountingChannel.objects.filter(pk=channel.pk).update(client_secret="")
    response = member_client.post(reverse("accounting:channel-connect", args=[channel.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Enter the channel's Client ID and Client Secret before connecting."
    ]
    assert ChannelAuthorization.objects.count() == 0


def test_connecting_deletes_consent_trips_older_than_a_day(member_client, channel):
    connect(member_client, channel)
    old = ChannelAuthorization.objects.get(channel=channel)
    ChannelAuthorization.objects.filter(pk=old.pk).update(created_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=2))
    connect(member_client, channel)
    assert ChannelAuthorization.objects.filter(pk=old.pk).exists() is False
    assert ChannelAuthorization.objects.filter(channel=channel).count() == 1


def test_free_text_in_the_error_parameter_is_not_echoed(member_client, channel):
    state = connect(member_client, channel)["state"]
    response = member_client.get(CALLBACK, {"error": "Call +44 20 7946 0000 now", "state": state}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Xero refused the request (unknown_error). The channel was not changed."
    ]

"""Connecting to Xero over real HTTP against the sandbox: consent, code exchange, pick, disconnect."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounting.models import AccountingChannel, AuthorizationOutcome, ChannelAuthorization, ConnectionState
from accounting.sync.ledger.summary import PAUSED_NEEDS_RECONNECT
from tests.accounting.sandbox import consent, sandbox_app, sandbox_app_tier_set, sandbox_org
from tests.factories import AccountingChannelFactory, StoreFactory
from xero_sandbox.models import Connection, RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
# Xero allows http redirect URIs for localhost only; the test client plays a browser on localhost.
REDIRECT_URI = "http://localhost/xero/callback/"


@pytest.fixture
def member_client(member_client):
    member_client.defaults["HTTP_HOST"] = "localhost"
    return member_client


@pytest.fixture
def xero_app(xero_sandbox):
    return sandbox_app(redirect_uri=REDIRECT_URI)


@pytest.fixture
def tenants(xero_sandbox, member):
    """Two organisations the member (the Xero user who consents) may connect."""
    return {name: sandbox_org(name, users=[member]) for name in ("Demo Company (UK)", "Second Books Ltd")}


@pytest.fixture
def xero_channel(organization, xero_app):
    store = StoreFactory.create(organization=organization, name="High Street")
    return AccountingChannelFactory.create(
        store=store, name="Main books", client_id=xero_app["client_id"], client_secret=xero_app["client_secret"]
    )


def press_connect(client, channel) -> str:
    response = client.post(reverse("accounting:channel-connect", args=[channel.pk]))
    assert response.status_code == 302
    return response["Location"]


def come_back(client, location: str, follow: bool = True):
    """Follow Xero's redirect back to the portal's callback in the same browser session."""
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == REDIRECT_URI
    return client.get(f"{url.path}?{url.query}", follow=follow)


def test_allow_access_records_the_organisation_and_congratulates(member_client, member, xero_channel, tenants):
    response = come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    assert response.redirect_chain == [(reverse("accounting:channel-connected", args=[xero_channel.pk]), 302)]
    html = response.content.decode()
    assert "<h2>Congratulations! Your channel is now successfully connected.</h2>" in html
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    connection = Connection.objects.get(organisation__tenant_id=tenants["Demo Company (UK)"])
    assert channel.connection_state == ConnectionState.CONNECTED
    assert (channel.tenant_id, channel.tenant_name) == (tenants["Demo Company (UK)"], "Demo Company (UK)")
    assert channel.connection_id == str(connection.connection_id)
    assert (
        channel.scopes
        == "offline_access accounting.invoices accounting.payments accounting.contacts accounting.settings"
    )
    assert sorted(channel.token_set) == sorted(
        ["access_token", "refresh_token", "id_token", "scope", "expires_in", "expires_at", "token_type"]
    )
    assert channel.token_set["scope"] == channel.scopes.split()
    assert channel.is_active is False
    assert ChannelAuthorization.objects.get(channel=channel).outcome == AuthorizationOutcome.CONNECTED


def test_a_real_answer_used_twice_is_refused_the_second_time(member_client, member, xero_channel, tenants):
    location = consent(press_connect(member_client, xero_channel), user=member)
    come_back(member_client, location)
    before = AccountingChannel.objects.values().get(pk=xero_channel.pk)
    response = come_back(member_client, location, follow=False)
    assert response.status_code == 400
    assert AccountingChannel.objects.values().get(pk=xero_channel.pk) == before


def test_cancel_on_the_consent_page_changes_nothing(member_client, member, xero_channel, tenants):
    location = consent(press_connect(member_client, xero_channel), user=member, allow=False)
    response = come_back(member_client, location)
    assert [str(m) for m in response.context["messages"]] == [
        "Xero access was not granted. The channel was not changed."
    ]
    assert AccountingChannel.objects.get(pk=xero_channel.pk).connection_state == ConnectionState.NOT_CONNECTED


def test_a_wrong_client_secret_names_the_likely_cause_and_changes_nothing(member_client, member, xero_channel, tenants):
    AccountingChannel.objects.filter(pk=xero_channel.pk).update(client_secret="not-the-app-secret")
    before = AccountingChannel.objects.values().get(pk=xero_channel.pk)
    response = come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    assert [str(m) for m in response.context["messages"]] == [
        "Xero rejected the Client ID or Client Secret. Copy both again from your Xero app "
        "(developer.xero.com → My Apps) into the channel, then connect again."
    ]
    assert AccountingChannel.objects.values().get(pk=xero_channel.pk) == before


def test_two_organisations_authorised_lead_to_a_pick_and_the_unpicked_one_is_disconnected(
    member_client, member, xero_channel, tenants, xero_app
):
    # Xero connects several organisations in one consent only for apps on the Advanced tier.
    sandbox_app_tier_set(client_id=xero_channel.client_id, tier="advanced")
    location = consent(press_connect(member_client, xero_channel), user=member, organisations=list(tenants))
    response = come_back(member_client, location)
    authorization = ChannelAuthorization.objects.get(channel=xero_channel)
    choose_url = reverse("accounting:channel-choose-organisation", args=[xero_channel.pk, authorization.pk])
    assert response.redirect_chain == [(choose_url, 302)]
    html = response.content.decode()
    assert "Demo Company (UK)" in html and "Second Books Ltd" in html
    assert AccountingChannel.objects.get(pk=xero_channel.pk).connection_state == ConnectionState.NOT_CONNECTED
    picked = next(c for c in authorization.connections if c["tenant_name"] == "Second Books Ltd")
    response = member_client.post(choose_url, {"connection": picked["id"]}, follow=True)
    assert "<h2>Congratulations! Your channel is now successfully connected.</h2>" in response.content.decode()
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    assert (channel.tenant_id, channel.tenant_name) == (tenants["Second Books Ltd"], "Second Books Ltd")
    assert channel.connection_id == picked["id"]
    authorization.refresh_from_db()
    assert (authorization.outcome, authorization.token_set) == (AuthorizationOutcome.CONNECTED, None)
    # The pick is single-use too.
    assert member_client.post(choose_url, {"connection": picked["id"]}).status_code == 404
    # The organisation not picked is no longer connected to the app in Xero; the picked one is.
    connected = Connection.objects.filter(app__client_id=xero_app["client_id"])
    assert sorted(connected.values_list("organisation__name", flat=True)) == ["Second Books Ltd"]


def test_disconnect_deletes_the_connection_in_xero_and_keeps_the_history(member_client, member, xero_channel, tenants):
    come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    member_client.post(reverse("accounting:channel-active", args=[xero_channel.pk]), {"is_active": "on"}, follow=True)
    assert Connection.objects.filter(organisation__tenant_id=tenants["Demo Company (UK)"]).count() == 1
    response = member_client.post(reverse("accounting:channel-disconnect", args=[xero_channel.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["“Main books” is disconnected from Demo Company (UK)."]
    assert Connection.objects.filter(organisation__tenant_id=tenants["Demo Company (UK)"]).count() == 0
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    assert (channel.connection_state, channel.is_active, channel.token_set) == (
        ConnectionState.DISCONNECTED,
        False,
        None,
    )
    assert channel.tenant_name == "Demo Company (UK)"  # history kept
    assert list(channel.events.values_list("kind", flat=True)) == ["disconnected", "activated", "connected"]


def test_reconnecting_a_channel_that_needs_it_resumes_sending(member_client, member, xero_channel, tenants):
    come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    member_client.post(reverse("accounting:channel-active", args=[xero_channel.pk]), {"is_active": "on"})
    AccountingChannel.objects.filter(pk=xero_channel.pk).update(
        connection_state=ConnectionState.NEEDS_RECONNECT, state_reason="Xero answered 403."
    )
    page = member_client.get(reverse("accounting:channel-detail", args=[xero_channel.pk]))
    assert page.context["sync"]["paused"] == {"reason": PAUSED_NEEDS_RECONNECT, "detail": "Xero answered 403."}
    assert f"<strong>{PAUSED_NEEDS_RECONNECT}</strong>" in page.content.decode()
    assert AccountingChannel.objects.get(pk=xero_channel.pk).is_sending is False
    come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    assert (channel.connection_state, channel.state_reason, channel.is_active) == ("connected", "", True)
    assert channel.is_sending is True


def test_connecting_an_active_channel_to_an_organisation_taken_by_another_switches_it_off(
    member_client, member, xero_channel, tenants, organization
):
    from tests.accounting.conftest import connect_locally

    other = connect_locally(
        AccountingChannelFactory.create(
            store=StoreFactory.create(organization=organization, name="Outlet"), name="Outlet books"
        ),
        tenant_id=tenants["Demo Company (UK)"],
        tenant_name="Demo Company (UK)",
        is_active=True,
    )
    connect_locally(xero_channel, tenant_id=tenants["Second Books Ltd"], tenant_name="Second Books Ltd", is_active=True)
    response = come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    assert [str(m) for m in response.context["messages"]] == [
        "“Main books” was switched off: another active channel already sends to Demo Company (UK) with the same "
        "invoice number prefix."
    ]
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    assert (channel.tenant_name, channel.is_active) == ("Demo Company (UK)", False)
    assert AccountingChannel.objects.get(pk=other.pk).is_active is True


def test_connecting_refreshing_and_disconnecting_log_no_secret_or_token(
    member_client, member, xero_channel, tenants, caplog
):
    import logging

    from accounting.access.tokens import channel_access_grant

    caplog.set_level(logging.DEBUG)
    come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    connected = AccountingChannel.objects.get(pk=xero_channel.pk)
    secrets = [connected.client_secret, connected.token_set["access_token"], connected.token_set["refresh_token"]]
    grant = channel_access_grant(channel_id=xero_channel.pk, force_refresh=True)
    refreshed = AccountingChannel.objects.get(pk=xero_channel.pk)
    secrets += [grant.access_token, refreshed.token_set["refresh_token"]]
    member_client.post(reverse("accounting:channel-disconnect", args=[xero_channel.pk]))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "connect/token" in logged  # the HTTP calls were logged, without their bodies or headers
    for secret in secrets:
        assert secret not in logged


def _sent_to_xero(channel, **fields):
    from accounting.sync.models import RecordKind, SyncRecord

    defaults = {
        "kind": RecordKind.INVOICE,
        "object_id": 1,
        "state": "synced",
        "xero_id": "9b2c3d4e-0000-4000-8000-000000000001",
    }
    return SyncRecord.objects.create(channel=channel, **{**defaults, **fields})


REFUSED_SWITCH = "This channel sends to Demo Company (UK). To send to another Xero organisation, add a new channel."


def test_a_channel_that_sent_records_is_not_switched_to_another_organisation(
    member_client, member, xero_channel, tenants
):
    from tests.accounting.conftest import connect_locally

    connect_locally(xero_channel, tenant_id=tenants["Demo Company (UK)"], tenant_name="Demo Company (UK)")
    _sent_to_xero(xero_channel)
    before = AccountingChannel.objects.values().get(pk=xero_channel.pk)
    location = consent(press_connect(member_client, xero_channel), user=member, organisations=["Second Books Ltd"])
    response = come_back(member_client, location)
    assert response.redirect_chain == [(reverse("accounting:channel-detail", args=[xero_channel.pk]), 302)]
    assert [str(m) for m in response.context["messages"]] == [REFUSED_SWITCH]
    assert AccountingChannel.objects.values().get(pk=xero_channel.pk) == before
    assert list(xero_channel.events.values_list("kind", flat=True)) == []


def test_the_pick_page_refuses_another_organisation_for_a_channel_that_sent_records_but_allows_its_own(
    member_client, member, xero_channel, tenants
):
    from tests.accounting.conftest import connect_locally

    sandbox_app_tier_set(client_id=xero_channel.client_id, tier="advanced")  # two organisations in one consent
    connect_locally(xero_channel, tenant_id=tenants["Demo Company (UK)"], tenant_name="Demo Company (UK)")
    _sent_to_xero(xero_channel, state="pending", xero_id="9b2c3d4e-0000-4000-8000-000000000002")  # edited since
    before = AccountingChannel.objects.values().get(pk=xero_channel.pk)
    come_back(
        member_client, consent(press_connect(member_client, xero_channel), user=member, organisations=list(tenants))
    )
    authorization = ChannelAuthorization.objects.get(channel=xero_channel)
    choose_url = reverse("accounting:channel-choose-organisation", args=[xero_channel.pk, authorization.pk])
    by_name = {c["tenant_name"]: c["id"] for c in authorization.connections}
    response = member_client.post(choose_url, {"connection": by_name["Second Books Ltd"]})
    assert response.status_code == 200
    assert f'<div class="form-errors">{REFUSED_SWITCH}</div>' in response.content.decode()
    assert AccountingChannel.objects.values().get(pk=xero_channel.pk) == before
    # The same organisation may still be picked from the same consent.
    response = member_client.post(choose_url, {"connection": by_name["Demo Company (UK)"]}, follow=True)
    assert "<h2>Congratulations! Your channel is now successfully connected.</h2>" in response.content.decode()
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    assert (channel.tenant_id, channel.connection_id) == (tenants["Demo Company (UK)"], by_name["Demo Company (UK)"])


def test_a_channel_that_never_sent_anything_may_switch_organisation(member_client, member, xero_channel, tenants):
    from tests.accounting.conftest import connect_locally

    connect_locally(xero_channel, tenant_id=tenants["Demo Company (UK)"], tenant_name="Demo Company (UK)")
    _sent_to_xero(xero_channel, state="pending", xero_id="")  # waiting, never sent
    location = consent(press_connect(member_client, xero_channel), user=member, organisations=["Second Books Ltd"])
    response = come_back(member_client, location)
    assert "<h2>Congratulations! Your channel is now successfully connected.</h2>" in response.content.decode()
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    assert (channel.tenant_id, channel.tenant_name) == (tenants["Second Books Ltd"], "Second Books Ltd")


def test_a_channel_that_sent_records_may_reconnect_to_its_own_organisation(
    member_client, member, xero_channel, tenants
):
    from tests.accounting.conftest import connect_locally

    connect_locally(xero_channel, tenant_id=tenants["Demo Company (UK)"], tenant_name="Demo Company (UK)")
    _sent_to_xero(xero_channel)
    location = consent(press_connect(member_client, xero_channel), user=member, organisations=["Demo Company (UK)"])
    response = come_back(member_client, location)
    assert "<h2>Congratulations! Your channel is now successfully connected.</h2>" in response.content.decode()
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    connection = Connection.objects.get(organisation__tenant_id=tenants["Demo Company (UK)"])
    assert (channel.tenant_id, channel.connection_id) == (tenants["Demo Company (UK)"], str(connection.connection_id))


def test_disconnect_after_access_was_revoked_in_xero_disconnects_here_and_says_so(
    member_client, member, xero_channel, tenants
):
    from xero_sandbox.testing import connections_revoke

    come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    assert connections_revoke(organisation=tenants["Demo Company (UK)"]) == 1
    # Xero no longer accepts the stored access token: DELETE /connections answers 401.
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    channel.token_set = {**channel.token_set, "access_token": "an-access-token-xero-revoked"}
    channel.save(update_fields=["token_set"])
    response = member_client.post(reverse("accounting:channel-disconnect", args=[xero_channel.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "“Main books” is disconnected from Demo Company (UK). Xero no longer accepted the channel's access (it was "
        "revoked in Xero), so the connection is treated as gone: remove the app in Xero if it is still listed."
    ]
    assert RequestLog.objects.filter(method="DELETE", path__contains="/connections/", status=401).count() == 1
    channel = AccountingChannel.objects.get(pk=xero_channel.pk)
    assert (channel.connection_state, channel.is_active, channel.token_set, channel.connection_id) == (
        ConnectionState.DISCONNECTED,
        False,
        None,
        "",
    )
    assert list(channel.events.values_list("kind", flat=True)) == ["disconnected", "connected"]


def test_disconnect_when_tls_to_xero_fails_says_xero_could_not_be_reached_and_changes_nothing(
    member_client, member, xero_channel, tenants, settings, live_server
):
    come_back(member_client, consent(press_connect(member_client, xero_channel), user=member))
    before = AccountingChannel.objects.values().get(pk=xero_channel.pk)
    # The live server speaks plain HTTP: a TLS handshake with it fails (the SDK's ApiSSLException).
    settings.XERO_API_URL = settings.XERO_API_URL.replace("http://", "https://", 1)
    response = member_client.post(reverse("accounting:channel-disconnect", args=[xero_channel.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Xero could not be reached, so the channel is still connected. Try again later."
    ]
    assert AccountingChannel.objects.values().get(pk=xero_channel.pk) == before
    assert Connection.objects.filter(organisation__tenant_id=tenants["Demo Company (UK)"]).count() == 1


def test_connect_when_tls_to_xero_fails_says_xero_could_not_be_reached_and_changes_nothing(
    member_client, member, xero_channel, tenants, settings
):
    before = AccountingChannel.objects.values().get(pk=xero_channel.pk)
    location = consent(press_connect(member_client, xero_channel), user=member)
    settings.XERO_API_URL = settings.XERO_API_URL.replace("http://", "https://", 1)  # GET /connections fails
    response = come_back(member_client, location)
    assert [str(m) for m in response.context["messages"]] == [
        "Xero could not be reached. Nothing was changed; try connecting again in a few minutes."
    ]
    assert AccountingChannel.objects.values().get(pk=xero_channel.pk) == before

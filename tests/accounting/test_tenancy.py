"""A member of another organization gets 404 on every channel URL, and nothing changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounting.models import AccountingChannel, AuthorizationOutcome, ChannelAuthorization

pytestmark = pytest.mark.django_db


@pytest.fixture
def choosing_authorization(connected_channel, member):
    return ChannelAuthorization.objects.create(
        channel=connected_channel,
        user=member,
        state_digest="0" * 64,
        code_verifier="verifier",
        redirect_uri="http://testserver/xero/callback/",
        outcome=AuthorizationOutcome.CHOOSING,
        connections=[{"id": "c1", "tenant_id": "t1", "tenant_name": "One"}],
    )


def channel_urls(channel, authorization):
    return [
        reverse("accounting:store-channels", args=[channel.store_id]),
        reverse("accounting:channel-add", args=[channel.store_id]),
        reverse("accounting:channel-create", args=[channel.store_id, "xero"]),
        reverse("accounting:channel-detail", args=[channel.pk]),
        reverse("accounting:channel-active", args=[channel.pk]),
        reverse("accounting:channel-delete", args=[channel.pk]),
        reverse("accounting:channel-connect", args=[channel.pk]),
        reverse("accounting:channel-connected", args=[channel.pk]),
        reverse("accounting:channel-disconnect", args=[channel.pk]),
        reverse("accounting:channel-choose-organisation", args=[channel.pk, authorization.pk]),
    ]


def test_every_channel_url_answers_404_to_another_organization(
    outsider_client, connected_channel, choosing_authorization
):
    before = AccountingChannel.objects.values().get(pk=connected_channel.pk)
    for url in channel_urls(connected_channel, choosing_authorization):
        statuses = {
            method: getattr(outsider_client, method)(url, {"is_active": "on", "name": "Hijacked"}).status_code
            for method in ("get", "post")
        }
        # 405 only for the method a URL does not take (e.g. GET of a POST-only action); never 200/302.
        assert 404 in statuses.values() and set(statuses.values()) <= {404, 405}, (url, statuses)
    assert AccountingChannel.objects.values().get(pk=connected_channel.pk) == before
    assert AccountingChannel.objects.count() == 1


def test_a_missing_channel_answers_the_same_404(member_client):
    assert member_client.get(reverse("accounting:channel-detail", args=[999999])).status_code == 404


def test_another_members_pending_choice_is_404_even_in_the_same_organization(
    client, organization, connected_channel, choosing_authorization
):
    from tests.factories import MembershipFactory, UserFactory

    colleague = MembershipFactory.create(organization=organization, user=UserFactory.create(username="colleague")).user
    client.force_login(colleague)
    url = reverse("accounting:channel-choose-organisation", args=[connected_channel.pk, choosing_authorization.pk])
    assert client.get(url).status_code == 404

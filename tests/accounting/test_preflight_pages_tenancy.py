"""The pre-flight and backfill pages are the channel's organization's only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounting.models import ChannelPreflight
from accounting.sync.models import SyncRecord

pytestmark = pytest.mark.django_db


def test_another_organizations_member_gets_404_and_changes_nothing(outsider_client, connected_channel):
    preflight = reverse("accounting:channel-preflight", args=[connected_channel.pk])
    backfill = reverse("accounting:channel-backfill", args=[connected_channel.pk])
    dates = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
    assert outsider_client.post(preflight).status_code == 404
    assert outsider_client.get(backfill, dates).status_code == 404
    assert outsider_client.post(backfill, dates).status_code == 404
    assert ChannelPreflight.objects.count() == 0
    assert SyncRecord.objects.count() == 0


def test_an_unconnected_channel_cannot_run_its_pre_flight(member_client, channel):
    response = member_client.post(reverse("accounting:channel-preflight", args=[channel.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Connect “Main books” to Xero before its pre-flight can run."
    ]
    assert ChannelPreflight.objects.count() == 0

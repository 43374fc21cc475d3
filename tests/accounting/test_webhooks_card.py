"""The channel page's "Webhooks" card: the URL to register in Xero, the key stored encrypted."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from accounting.sync.models import ChannelXeroFeed
from accounting.views.webhooks import WEBHOOK_KEY_MISSING, WEBHOOK_KEY_REMOVED, WEBHOOK_KEY_SAVED
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

KEY = "x1Vw7bK9sQ2mN4pL6rT8yU0iO3eA5dF7gH9jK1lZ2xC4vB6nM8qW0eR2tY4uI6oP8aS0dF2gH4jK6lZ8xC0vB2nM=="


def page(client, channel) -> str:
    return client.get(reverse("accounting:channel-detail", args=[channel.pk])).content.decode()


def save(client, channel, **data):
    return client.post(reverse("accounting:channel-webhooks", args=[channel.pk]), data, follow=True)


def test_the_card_shows_the_channels_own_unguessable_url(member_client, connected_channel):
    html = page(member_client, connected_channel)
    feed = ChannelXeroFeed.objects.get(channel=connected_channel)
    url = f"http://testserver/xero/webhooks/{feed.url_token}/"
    assert f'<code id="xero-webhook-url">{url}</code>' in html
    assert len(feed.url_token) >= 40
    assert "<dt>Webhook key</dt><dd>None: the portal polls Xero</dd>" in html
    assert "<dt>Last event received</dt><dd>—</dd>" in html


def test_the_key_is_stored_encrypted_and_never_shown(member_client, connected_channel):
    answer = save(member_client, connected_channel, webhook_key=KEY, save="")
    html = answer.content.decode()
    assert messages_of(answer) == [WEBHOOK_KEY_SAVED]
    assert "<dt>Webhook key</dt><dd>Stored (encrypted)</dd>" in html
    assert KEY not in html
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT webhook_key FROM accounting_sync_channelxerofeed WHERE channel_id = %s", [connected_channel.pk]
        )
        [stored] = cursor.fetchone()
    assert stored.startswith("gAAAAA") and KEY not in stored
    assert ChannelXeroFeed.objects.get(channel=connected_channel).webhook_key == KEY


def test_an_empty_key_changes_nothing_and_removing_falls_back_to_polling(member_client, connected_channel):
    save(member_client, connected_channel, webhook_key=KEY, save="")
    assert messages_of(save(member_client, connected_channel, webhook_key="  ", save="")) == [WEBHOOK_KEY_MISSING]
    assert ChannelXeroFeed.objects.get(channel=connected_channel).webhook_key == KEY

    assert messages_of(save(member_client, connected_channel, remove="")) == [WEBHOOK_KEY_REMOVED]
    feed = ChannelXeroFeed.objects.get(channel=connected_channel)
    assert (feed.webhook_key, feed.uses_webhooks, feed.poll_watermark is not None) == ("", False, True)


def test_another_organizations_channel_is_not_found(outsider_client, connected_channel):
    assert save(outsider_client, connected_channel, webhook_key=KEY, save="").status_code == 404
    assert not ChannelXeroFeed.objects.filter(channel=connected_channel).exclude(webhook_key="").exists()

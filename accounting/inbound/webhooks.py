"""Xero's webhook deliveries for a channel: verified, stored once each, then handed to a task.

With a webhook key, Xero's signed deliveries are stored (`webhook_deliver`, called by the
receiver view: verify, store, enqueue; never a call to Xero inline) and a task fetches the
invoices they name (`accounting.inbound.poll.events_process`). Without a key the poll takes over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounting.models import AccountingChannel
from accounting.providers.xero.webhooks import EventCategory, signature_valid, webhook_events
from accounting.sync.models import ChannelXeroFeed, XeroWebhookEvent
from channels_portal.celery import task_send

logger = logging.getLogger(__name__)

EVENTS_TASK = "accounting.tasks.xero_events_process"


def feed_of(*, channel: AccountingChannel) -> ChannelXeroFeed:
    """Return the channel's feed, creating it (and its webhook URL token) on first use."""
    feed, _ = ChannelXeroFeed.objects.get_or_create(channel=channel)
    return feed


@dataclass(frozen=True)
class Delivery:
    accepted: bool  # False: answer 401 (bad signature, or no key to check it with)
    stored: int = 0  # new events (redeliveries not counted)


def webhook_deliver(*, token: str, body: bytes, signature: str) -> Delivery | None:
    """Verify and store one delivery to the channel whose URL token is `token`; None: no such URL.

    A correctly signed delivery is answered at once: its INVOICE events for the channel's
    organisation are stored (once each, however often Xero delivers them) and a task fetches
    them after commit. A delivery with no events is Xero's intent-to-receive check.
    """
    feed = ChannelXeroFeed.objects.select_related("channel").filter(url_token=token).first()
    if feed is None:
        return None
    if not signature_valid(body=body, signature=signature, key=feed.webhook_key):
        return Delivery(accepted=False)
    events = webhook_events(body)
    channel = feed.channel
    now = timezone.now()
    if not events:
        ChannelXeroFeed.objects.filter(pk=feed.pk).update(intent_verified_at=now)
        return Delivery(accepted=True)
    rows = [
        XeroWebhookEvent(
            channel=channel,
            dedupe_key=e.dedupe_key,
            event_category=e.category[:20],
            event_type=e.type[:20],
            resource_id=e.resource_id[:64],
            event_date=e.date[:40],
            tenant_id=e.tenant_id[:64],
        )
        for e in events
        if e.tenant_id == channel.tenant_id and e.category == EventCategory.INVOICE
    ]
    mine = XeroWebhookEvent.objects.filter(channel=channel, dedupe_key__in=[row.dedupe_key for row in rows])
    with transaction.atomic():
        before = mine.count() if rows else 0
        XeroWebhookEvent.objects.bulk_create(rows, ignore_conflicts=True)
        stored = mine.count() - before if rows else 0
        ChannelXeroFeed.objects.filter(pk=feed.pk).update(last_event_at=now)
        if rows:  # a redelivery queues a turn that finds nothing pending: no call to Xero
            channel_id = channel.pk
            transaction.on_commit(lambda: _enqueue_events(channel_id=channel_id), robust=True)
    return Delivery(accepted=True, stored=stored)


def _enqueue_events(*, channel_id: int, countdown: float = 0.0) -> None:
    try:
        task_send(EVENTS_TASK, args=(channel_id,), countdown=countdown)
    except Exception:
        # Broker down: the events are stored; the beat task picks pending events up.
        logger.warning("Could not queue Xero events of channel %s", channel_id, exc_info=True)


def webhook_key_set(*, channel: AccountingChannel, key: str) -> ChannelXeroFeed:
    """Store (or, with "", remove) the channel's webhook key. Without a key the poll takes over."""
    key = key.strip()
    if len(key) > 500:
        raise ValidationError({"webhook_key": "This is not a Xero webhooks key (too long)."})
    feed = feed_of(channel=channel)
    feed.webhook_key = key
    if not key:
        feed.intent_verified_at = None
        # The poll starts from now: events delivered until now were stored already.
        feed.poll_watermark = feed.poll_watermark or timezone.now()
    feed.save()
    return feed

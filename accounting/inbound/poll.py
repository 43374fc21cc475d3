"""Asking Xero what changed for a channel: the invoices named by stored webhook events, or a
periodic poll of the invoices modified since a watermark (`If-Modified-Since`), every call
through the limiter; each answer is applied by `accounting.inbound.apply`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Least, Mod
from django.utils import timezone

from accounting.access.client import channel_xero_client
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.inbound.apply import aware, xero_invoices_apply
from accounting.inbound.webhooks import feed_of
from accounting.models import AccountingChannel, ConnectionState
from accounting.providers.xero.errors import XeroBudgetExhausted, XeroError
from accounting.sync.models import (
    ChannelXeroFeed,
    RecordKind,
    SyncRecord,
    WebhookEventState,
    XeroWebhookEvent,
)
from channels_portal.locks import named_lock

# Events handled per task (their invoices are fetched with IDs=, split by the URL budget).
EVENTS_PER_TURN = 100
# Xero answers 100 invoices per page.
PAGE_SIZE = 100
# A channel whose polls keep finding nothing is polled less often: after k quiet polls in a row,
# every 2**k poll intervals, at most every 2**POLL_BACK_OFF (15 min → 30 min, 1 h, 2 h). Any change
# Xero reports (a payment, a void, or an invoice the channel has just sent) brings it back to 15 min.
POLL_BACK_OFF = 3
# When a turn cannot run now (limiter, another worker): try again after this long.
RETRY_SECONDS = 5.0
# A store payment of the invoice is on its way to Xero: look again after this long.
DEFERRED_SECONDS = 30.0


@dataclass
class TurnOutcome:
    more: bool = False  # work remains now
    retry_after: float | None = None  # try again after this long (limiter, lock, payment on its way)


def events_process(*, channel_id: int) -> TurnOutcome:
    """Fetch the invoices named by the channel's pending events and apply them; one turn."""
    channel = AccountingChannel.objects.filter(pk=channel_id).first()
    if channel is None or channel.connection_state != ConnectionState.CONNECTED:
        return TurnOutcome()
    with named_lock(f"xero-feed:{channel_id}", wait=False) as taken:
        if not taken:
            return TurnOutcome(retry_after=RETRY_SECONDS)
        events = list(
            XeroWebhookEvent.objects.filter(channel=channel, state=WebhookEventState.PENDING).order_by(
                "received_at", "pk"
            )[:EVENTS_PER_TURN]
        )
        if not events:
            return TurnOutcome()
        ids = list(dict.fromkeys(e.resource_id for e in events))
        try:
            client, _gate = channel_xero_client(channel=channel)
            invoices = client.invoices_with_payments(ids=ids)
        except XeroBudgetExhausted as exc:
            return TurnOutcome(retry_after=max(exc.retry_after, 0.5))
        except (ChannelNotConnected, TokenRefreshFailed, XeroError) as exc:
            _feed_error(channel=channel, message=str(exc))
            return TurnOutcome(retry_after=RETRY_SECONDS * 6)
        results = xero_invoices_apply(channel=channel, invoices=invoices)
        deferred = False
        now = timezone.now()
        for event in events:
            result = results.get(event.resource_id)
            if result is not None and result.deferred:
                deferred = True
                continue
            event.state = WebhookEventState.FAILED if result is not None and result.error else WebhookEventState.DONE
            event.message = (result.summary if result is not None else "Not an invoice this channel sent.")[:1000]
            event.processed_at = now
        XeroWebhookEvent.objects.bulk_update(
            [e for e in events if e.processed_at is not None], ["state", "message", "processed_at"]
        )
        more = XeroWebhookEvent.objects.filter(channel=channel, state=WebhookEventState.PENDING).exists()
        if deferred:
            return TurnOutcome(retry_after=DEFERRED_SECONDS)
        return TurnOutcome(more=more)


def channel_poll(*, channel_id: int) -> TurnOutcome:
    """Ask Xero for the invoices modified since the channel's watermark and apply them."""
    channel = AccountingChannel.objects.filter(pk=channel_id).first()
    if channel is None or not channel.is_sending:
        return TurnOutcome()
    feed = feed_of(channel=channel)
    if feed.uses_webhooks:
        return TurnOutcome()
    with named_lock(f"xero-feed:{channel_id}", wait=False) as taken:
        if not taken:
            return TurnOutcome()  # the next poll comes soon
        since = feed.poll_watermark or channel.connected_at or timezone.now()
        newest = since
        deferred = False
        changed = 0
        try:
            client, _gate = channel_xero_client(channel=channel)
            page = 1
            while True:
                invoices = client.invoices_modified_since(since=since, page=page)
                changed += len(invoices)
                results = xero_invoices_apply(channel=channel, invoices=invoices)
                for invoice in invoices:
                    result = results.get(str(invoice.invoice_id))
                    if result is not None and result.deferred:
                        deferred = True
                    elif invoice.updated_date_utc is not None and not deferred:
                        newest = max(newest, aware(invoice.updated_date_utc))
                if len(invoices) < PAGE_SIZE:
                    break
                page += 1
        except XeroBudgetExhausted:
            return TurnOutcome()  # the next poll asks again from the same watermark
        except (ChannelNotConnected, TokenRefreshFailed, XeroError) as exc:
            _feed_error(channel=channel, message=str(exc))
            return TurnOutcome()
        # A deferred invoice keeps the watermark where it was, so the next poll sees it again.
        ChannelXeroFeed.objects.filter(pk=feed.pk).update(
            poll_watermark=since if deferred else newest,
            polled_at=timezone.now(),
            last_error="",
            quiet_polls=0 if changed else Least(F("quiet_polls") + 1, POLL_BACK_OFF),
        )
        return TurnOutcome()


def poll_slot(*, now: float | None = None) -> tuple[int, int]:
    """Return (this tick's slot, how many slots): a channel is polled in the ticks of its slot.

    XERO_POLL_SECONDS (a channel's poll interval) ÷ XERO_POLL_TICK_SECONDS (the beat's) slots;
    a tick's slot follows the clock, so a restarted beat keeps every channel's rhythm.
    """
    tick = float(settings.XERO_POLL_TICK_SECONDS)
    slots = max(1, round(float(settings.XERO_POLL_SECONDS) / tick))
    return int((time.time() if now is None else now) // tick) % slots, slots


def pollable_channel_ids(*, slot: int = 0, slots: int = 1, now: dt.datetime | None = None) -> list[int]:
    """Return the sending channels without a webhook key that have an invoice in Xero to watch,
    those of `slot` of `slots` (by id) whose poll is due (see POLL_BACK_OFF)."""
    sending = AccountingChannel.objects.filter(is_active=True, connection_state=ConnectionState.CONNECTED)
    if slots > 1:
        sending = sending.annotate(poll_slot=Mod("pk", slots)).filter(poll_slot=slot)
    with_key = ChannelXeroFeed.objects.exclude(webhook_key="").exclude(webhook_key__isnull=True)
    # Sent at least once: Xero holds it (a later change in the store may have it queued again).
    sent = SyncRecord.objects.filter(channel=OuterRef("pk"), kind=RecordKind.INVOICE).exclude(xero_id="")
    candidates = (
        sending.exclude(pk__in=with_key.values("channel_id"))
        .filter(Exists(sent))
        .values_list("pk", "xero_feed__polled_at", "xero_feed__quiet_polls")
    )
    now = now or timezone.now()
    return [pk for pk, polled_at, quiet in candidates if _poll_due(polled_at=polled_at, quiet=quiet or 0, now=now)]


def _poll_due(*, polled_at: dt.datetime | None, quiet: int, now: dt.datetime) -> bool:
    if polled_at is None:
        return True
    interval = float(settings.XERO_POLL_SECONDS) * 2 ** min(quiet, POLL_BACK_OFF)
    # Less a tick: polls start at the slot's ticks, a little after the interval's exact end.
    return (now - polled_at).total_seconds() >= interval - float(settings.XERO_POLL_TICK_SECONDS)


def channels_with_pending_events() -> list[int]:
    return list(
        XeroWebhookEvent.objects.filter(state=WebhookEventState.PENDING).values_list("channel_id", flat=True).distinct()
    )


def _feed_error(*, channel: AccountingChannel, message: str) -> None:
    ChannelXeroFeed.objects.filter(channel=channel).update(last_error=message[:1000])

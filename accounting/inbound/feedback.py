"""What comes back from Xero: payments made and voids done in Xero reach the store.

Two ways in, one way of applying. With a webhook key, Xero's signed deliveries are stored
(`webhook_deliver`, called by the receiver view: verify, store, enqueue; never a call to Xero
inline) and a task fetches the invoices they name (`events_process`). Without one, a periodic
poll asks for the invoices modified since its watermark (`channel_poll`, `If-Modified-Since`).
Either way every call passes the limiter, and each Xero invoice the channel sent is applied to
its store invoice (`xero_invoices_apply`):

- a payment made in Xero becomes a store payment (source "xero", Xero's PaymentID as its
  dedupe key, Xero's date, method "xero");
- a VOIDED or DELETED invoice voids the store invoice, dated when Xero changed it.

Echoes are never imported: a Xero payment the portal sent itself is known by the PaymentID
the sync ledger stored for it (`RecordKind` "payment" rows, `xero_id`); while a store payment
of the invoice is still on its way to Xero (its ledger row not yet synced), Xero's payments of
that invoice wait (the event stays pending) instead of being guessed at.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounting.models import AccountingChannel, ConnectionState
from accounting.providers.xero.errors import XeroBudgetExhausted, XeroError
from accounting.services.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.services.xero_access import channel_xero_client
from accounting.sync.models import (
    ChannelXeroFeed,
    RecordKind,
    SyncAction,
    SyncRecord,
    SyncState,
    WebhookEventState,
    XeroWebhookEvent,
)
from channels_portal.celery import task_send
from channels_portal.locks import named_lock
from stores.models import Invoice as StoreInvoice
from stores.models import InvoiceStatus, PaymentSource
from stores.services import invoice_void, payment_record

logger = logging.getLogger(__name__)

# The ledger kind of payments the portal sends (built by the payments side of issue 9).
PAYMENT_KIND = "payment"
# The store payment method of payments made in Xero.
XERO_METHOD = "xero"
# Events handled per task (their invoices are fetched with IDs=, split by the URL budget).
EVENTS_PER_TURN = 100
# Xero answers 100 invoices per page.
PAGE_SIZE = 100
# When a turn cannot run now (limiter, another worker): try again after this long.
RETRY_SECONDS = 5.0
# A store payment of the invoice is on its way to Xero: look again after this long.
DEFERRED_SECONDS = 30.0
VOID_STATUSES = ("VOIDED", "DELETED")


# Webhook deliveries ---------------------------------------------------------------------------


def feed_of(*, channel: AccountingChannel) -> ChannelXeroFeed:
    """Return the channel's feed, creating it (and its webhook URL token) on first use."""
    feed, _ = ChannelXeroFeed.objects.get_or_create(channel=channel)
    return feed


def signature_valid(*, body: bytes, signature: str, key: str) -> bool:
    """Return whether `signature` (the `x-xero-signature` header) is base64(HMAC-SHA256(body, key)).

    Compared in constant time, over the raw body as received."""
    if not key or not signature:
        return False
    expected = hmac.new(key.encode(), body, hashlib.sha256).digest()
    try:
        given = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected, given)


@dataclass(frozen=True)
class Delivery:
    accepted: bool  # False: answer 401 (bad signature, or no key to check it with)
    stored: int = 0  # new events (redeliveries not counted)


def event_dedupe_key(event: dict[str, Any]) -> str:
    parts = [str(event.get(k) or "") for k in ("eventCategory", "eventType", "resourceId", "eventDateUtc")]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


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
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = {}
    events = payload.get("events") if isinstance(payload, dict) else None
    events = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
    channel = feed.channel
    now = timezone.now()
    if not events:
        ChannelXeroFeed.objects.filter(pk=feed.pk).update(intent_verified_at=now)
        return Delivery(accepted=True)
    rows = [
        XeroWebhookEvent(
            channel=channel,
            dedupe_key=event_dedupe_key(e),
            event_category=str(e.get("eventCategory") or "")[:20],
            event_type=str(e.get("eventType") or "")[:20],
            resource_id=str(e.get("resourceId") or "")[:64],
            event_date=str(e.get("eventDateUtc") or "")[:40],
            tenant_id=str(e.get("tenantId") or "")[:64],
        )
        for e in events
        if str(e.get("tenantId") or "") == channel.tenant_id and e.get("eventCategory") == "INVOICE"
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
        task_send("accounting.tasks.xero_events_process", args=(channel_id,), countdown=countdown)
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


# Processing -----------------------------------------------------------------------------------


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
        try:
            client, _gate = channel_xero_client(channel=channel)
            page = 1
            while True:
                invoices = client.invoices_modified_since(since=since, page=page)
                results = xero_invoices_apply(channel=channel, invoices=invoices)
                for invoice in invoices:
                    result = results.get(str(invoice.invoice_id))
                    if result is not None and result.deferred:
                        deferred = True
                    elif invoice.updated_date_utc is not None and not deferred:
                        newest = max(newest, _aware(invoice.updated_date_utc))
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
            poll_watermark=since if deferred else newest, polled_at=timezone.now(), last_error=""
        )
        return TurnOutcome()


def pollable_channel_ids() -> list[int]:
    """Return the sending channels without a webhook key (the poll's work)."""
    sending = AccountingChannel.objects.filter(is_active=True, connection_state=ConnectionState.CONNECTED)
    with_key = ChannelXeroFeed.objects.exclude(webhook_key="").exclude(webhook_key__isnull=True)
    return list(sending.exclude(pk__in=with_key.values("channel_id")).values_list("pk", flat=True))


def channels_with_pending_events() -> list[int]:
    return list(
        XeroWebhookEvent.objects.filter(state=WebhookEventState.PENDING).values_list("channel_id", flat=True).distinct()
    )


def _feed_error(*, channel: AccountingChannel, message: str) -> None:
    ChannelXeroFeed.objects.filter(channel=channel).update(last_error=message[:1000])


def _aware(value: dt.datetime) -> dt.datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


# Applying one Xero invoice to its store invoice -----------------------------------------------


@dataclass
class Applied:
    summary: str = ""
    error: bool = False
    deferred: bool = False  # a store payment is on its way to Xero: look again later


def xero_invoices_apply(*, channel: AccountingChannel, invoices: list[Any]) -> dict[str, Applied]:
    """Apply each Xero invoice this channel sent to its store invoice; return what happened per InvoiceID."""
    ids = [str(i.invoice_id) for i in invoices if i.invoice_id]
    rows = {
        row.xero_id: row for row in SyncRecord.objects.filter(channel=channel, kind=RecordKind.INVOICE, xero_id__in=ids)
    }
    results: dict[str, Applied] = {}
    for invoice in invoices:
        row = rows.get(str(invoice.invoice_id))
        if row is None:
            continue
        try:
            results[row.xero_id] = _apply_one(channel=channel, row=row, xero_invoice=invoice)
        except ValidationError as exc:
            results[row.xero_id] = Applied(summary=" ".join(exc.messages), error=True)
    return results


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _apply_one(*, channel: AccountingChannel, row: SyncRecord, xero_invoice: Any) -> Applied:
    done: list[str] = []
    with transaction.atomic():
        store_invoice = StoreInvoice.objects.select_for_update().filter(pk=row.object_id).first()
        if store_invoice is None:
            return Applied(summary="The store invoice was deleted.")
        status = _enum(xero_invoice.status)
        if status in VOID_STATUSES:
            if store_invoice.status != InvoiceStatus.VOID:
                when = xero_invoice.updated_date_utc
                invoice_void(invoice=store_invoice, when=_aware(when) if when else None)
                done.append(f"voided ({status.lower()} in Xero)")
            # Xero holds it void: nothing of it is to be sent again (see invoices._sendable).
            SyncRecord.objects.filter(pk=row.pk).update(xero_status=status)
            return Applied(summary="; ".join(done) or "already void")
        payments = [p for p in (xero_invoice.payments or []) if p.payment_id and _enum(p.status) != "DELETED"]
        if not payments:
            return Applied(summary="no payment in Xero")
        xero_ids = [str(p.payment_id) for p in payments]
        ours = set(
            SyncRecord.objects.filter(channel=channel, kind=PAYMENT_KIND, xero_id__in=xero_ids).values_list(
                "xero_id", flat=True
            )
        )
        known = set(
            store_invoice.payments.filter(xero_payment_id__in=xero_ids).values_list("xero_payment_id", flat=True)
        )
        new = [p for p in payments if str(p.payment_id) not in ours | known]
        if not new:
            return Applied(summary="payments already known")
        if _store_payment_on_its_way(channel=channel, invoice=store_invoice):
            return Applied(summary="a store payment is on its way to Xero", deferred=True)
        for payment in new:
            amount = Decimal(str(payment.amount)).quantize(Decimal("0.01"))
            try:
                with transaction.atomic():
                    recorded = payment_record(
                        invoice=store_invoice,
                        amount=amount,
                        date=payment.date or timezone.now().date(),
                        method=XERO_METHOD,
                        reference=(payment.reference or "")[:255],
                        source=PaymentSource.XERO,
                        xero_payment_id=str(payment.payment_id),
                    )
                    _ledger_holds(channel=channel, payment_id=recorded.pk, xero_id=str(payment.payment_id))
            except IntegrityError:
                continue  # another worker recorded it meanwhile (unique per invoice)
            done.append(f"payment of {amount} on {payment.date}")
    return Applied(summary="recorded " + ", ".join(done) if done else "payments already known")


def _ledger_holds(*, channel: AccountingChannel, payment_id: int, xero_id: str) -> None:
    """Record in the sync ledger that Xero holds this payment already (it came from there), so
    the payments sync never sends it back, whatever a signal queued for it meanwhile."""
    now = timezone.now()
    SyncRecord.objects.update_or_create(
        channel=channel, kind=PAYMENT_KIND, object_id=payment_id, action=SyncAction.PUSH,
        defaults={"state": SyncState.SYNCED, "xero_id": xero_id, "next_attempt_at": None, "synced_at": now,
                  "needs_lookup": False, "last_error": ""},
    )  # fmt: skip


def _store_payment_on_its_way(*, channel: AccountingChannel, invoice: StoreInvoice) -> bool:
    """Return whether a payment recorded in the store is still being sent to Xero by this channel
    (its PaymentID is not known yet, so Xero's payments of the invoice cannot be told apart)."""
    store_payments = invoice.payments.filter(source=PaymentSource.STORE).values("pk")
    return SyncRecord.objects.filter(
        channel=channel,
        kind=PAYMENT_KIND,
        object_id__in=store_payments,
        state__in=[SyncState.PENDING, SyncState.IN_FLIGHT],
    ).exists()

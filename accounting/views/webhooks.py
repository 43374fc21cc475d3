"""Xero's webhook deliveries to a channel, and the channel page's "Webhooks" card."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounting.inbound.webhooks import feed_of, webhook_deliver, webhook_key_set
from accounting.models import AccountingChannel
from accounting.providers.xero.webhooks import SIGNATURE_HEADER
from accounting.selectors import channel_for_member
from accounting.sync.models import WebhookEventState, XeroWebhookEvent
from accounting.views.common import current_organization

WEBHOOK_KEY_MISSING = "Paste the Webhooks key of your Xero app (developer.xero.com → My Apps → Webhooks)."
WEBHOOK_KEY_SAVED = "The webhook key was saved: Xero's deliveries are now accepted."
WEBHOOK_KEY_REMOVED = "The webhook key was removed: the portal polls Xero for changes instead."


@csrf_exempt  # Xero signs its deliveries (x-xero-signature); it has no CSRF token to send.
@require_POST
def xero_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """Receive a Xero delivery: 200 with an empty body when correctly signed, 401 otherwise.

    Only stores and queues: no call to Xero here, so the answer leaves within Xero's 5 seconds.
    """
    delivery = webhook_deliver(token=token, body=request.body, signature=request.headers.get(SIGNATURE_HEADER, ""))
    if delivery is None:
        raise Http404("No such webhook.")
    return HttpResponse(status=200 if delivery.accepted else 401)


def webhook_url(request: HttpRequest, *, channel: AccountingChannel) -> str:
    """Return the address to register as the delivery URL of the merchant's Xero app."""
    feed = feed_of(channel=channel)
    return request.build_absolute_uri(reverse("accounting:xero-webhook", args=[feed.url_token]))


def webhooks_context(request: HttpRequest, *, channel: AccountingChannel) -> dict[str, Any]:
    """Return the "Webhooks" card's context."""
    feed = feed_of(channel=channel)
    events = XeroWebhookEvent.objects.filter(channel=channel)
    return {
        "feed": feed,
        "url": webhook_url(request, channel=channel),
        "last_event": events.order_by("-received_at", "-pk").first(),
        "pending": events.filter(state=WebhookEventState.PENDING).count(),
    }


@login_required
@require_POST
@sensitive_post_parameters("webhook_key")
def channel_webhooks(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Store the webhook key of the channel's Xero app ("save"), or remove it ("remove")."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    key = "" if "remove" in request.POST else request.POST.get("webhook_key", "")
    if "remove" not in request.POST and not key.strip():
        messages.error(request, WEBHOOK_KEY_MISSING)
    else:
        try:
            webhook_key_set(channel=channel, key=key)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if key:
                messages.success(request, WEBHOOK_KEY_SAVED)
            else:
                messages.info(request, WEBHOOK_KEY_REMOVED)
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#webhooks")

"""Xero's webhook deliveries: the signature check, and the events a delivery carries.

Xero signs each delivery with the app's webhook key: `x-xero-signature` is
base64(HMAC-SHA256(raw body, key)). A delivery is `{"events": [...], "firstEventSequence": …,
"lastEventSequence": …, "entropy": …}`; each event names a resource by id only (`resourceUrl`,
`resourceId`, `eventDateUtc`, `eventType` CREATE/UPDATE, `eventCategory` INVOICE/CONTACT/
CREDITNOTE/SUBSCRIPTION, `tenantId`, `tenantType`). A delivery with no events is Xero's
intent-to-receive check. Failed deliveries are retried, so an event may come more than once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# The header Xero sends a delivery's signature in.
SIGNATURE_HEADER = "x-xero-signature"


class EventCategory(StrEnum):
    """What an event's resource is (`eventCategory`)."""

    INVOICE = "INVOICE"
    CONTACT = "CONTACT"
    CREDIT_NOTE = "CREDITNOTE"
    SUBSCRIPTION = "SUBSCRIPTION"


def signature_valid(*, body: bytes, signature: str, key: str) -> bool:
    """Return whether `signature` (the `x-xero-signature` header) is base64(HMAC-SHA256(body, key)).

    Compared in constant time, over the raw body as received. No key, no signature, or a
    signature that is not base64 is never valid."""
    if not key or not signature:
        return False
    expected = hmac.new(key.encode(), body, hashlib.sha256).digest()
    try:
        given = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected, given)


@dataclass(frozen=True)
class WebhookEvent:
    """One event of a delivery, as Xero sent it ("" for a field it left out)."""

    category: str
    type: str
    resource_id: str
    date: str  # eventDateUtc, as Xero wrote it
    tenant_id: str

    @classmethod
    def of(cls, event: dict[str, Any]) -> WebhookEvent:
        """Return the event of one element of a delivery's `events`."""

        def field(name: str) -> str:
            return str(event.get(name) or "")

        return cls(
            category=field("eventCategory"),
            type=field("eventType"),
            resource_id=field("resourceId"),
            date=field("eventDateUtc"),
            tenant_id=field("tenantId"),
        )

    @property
    def dedupe_key(self) -> str:
        """Return what a redelivery of this event has in common with the first delivery."""
        parts = (self.category, self.type, self.resource_id, self.date)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def webhook_events(body: bytes) -> list[WebhookEvent]:
    """Return the events of a delivery's body (none for an intent-to-receive check, or a body
    that is not a delivery)."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = {}
    events = payload.get("events") if isinstance(payload, dict) else None
    return [WebhookEvent.of(e) for e in events if isinstance(e, dict)] if isinstance(events, list) else []

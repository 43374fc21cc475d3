"""Xero's webhook signature, and the events of a delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from accounting.providers.xero.webhooks import EventCategory, WebhookEvent, signature_valid, webhook_events
from xero_sandbox.services.webhooks import sign

KEY = "Bx0yWJ2nHi4vTEmHrbH3b1bBg8wwxJnbQzyQ2bUTDOxs8pW1gy5fq4ZQG0qhOAbK/0qq6rqWyT03j6GqQ4vP0A=="
EVENT = {
    "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/0b4d8a2e-4b1a-4a8e-bb0e-6d2b1b0d5f10",
    "resourceId": "0b4d8a2e-4b1a-4a8e-bb0e-6d2b1b0d5f10",
    "eventDateUtc": "2026-03-14T09:26:53.433",
    "eventType": "UPDATE",
    "eventCategory": "INVOICE",
    "tenantId": "11111111-2222-3333-4444-555555555555",
    "tenantType": "ORGANISATION",
}
BODY = json.dumps(
    {"events": [EVENT], "firstEventSequence": 7, "lastEventSequence": 7, "entropy": "XJGCJVDSOBEEPNSBRQJJ"}
).encode()


def test_a_signature_of_the_raw_body_with_the_key_is_valid():
    expected = base64.b64encode(hmac.new(KEY.encode(), BODY, hashlib.sha256).digest()).decode()

    assert signature_valid(body=BODY, signature=expected, key=KEY) is True
    assert signature_valid(body=BODY, signature=sign(body=BODY, key=KEY), key=KEY) is True  # the sandbox's signer


def test_a_signature_of_another_key_or_body_is_not_valid():
    assert signature_valid(body=BODY, signature=sign(body=BODY, key="another key"), key=KEY) is False
    assert signature_valid(body=BODY + b" ", signature=sign(body=BODY, key=KEY), key=KEY) is False


def test_without_a_key_or_a_signature_nothing_is_valid():
    assert signature_valid(body=BODY, signature=sign(body=BODY, key=""), key="") is False
    assert signature_valid(body=BODY, signature="", key=KEY) is False


def test_a_signature_that_is_not_base64_is_not_valid():
    assert signature_valid(body=BODY, signature="not base64!", key=KEY) is False
    assert signature_valid(body=BODY, signature=sign(body=BODY, key=KEY)[:-2], key=KEY) is False  # cut short


def test_the_events_of_a_delivery_carry_xeros_fields():
    [event] = webhook_events(BODY)

    assert event == WebhookEvent(
        category="INVOICE", type="UPDATE", resource_id="0b4d8a2e-4b1a-4a8e-bb0e-6d2b1b0d5f10",
        date="2026-03-14T09:26:53.433", tenant_id="11111111-2222-3333-4444-555555555555",
    )  # fmt: skip
    assert event.category == EventCategory.INVOICE


def test_an_intent_to_receive_check_or_a_body_that_is_no_delivery_has_no_events():
    intent = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "X"}).encode()

    assert webhook_events(intent) == []
    assert webhook_events(b"") == []
    assert webhook_events(b"not json") == []
    assert webhook_events(b'{"events": {"resourceId": "x"}}') == []
    assert webhook_events(b"[1, 2]") == []


def test_an_event_missing_fields_has_them_empty_and_non_events_are_skipped():
    body = json.dumps({"events": ["junk", {"resourceId": "r-1", "eventCategory": "CONTACT"}]}).encode()

    assert webhook_events(body) == [WebhookEvent(category="CONTACT", type="", resource_id="r-1", date="", tenant_id="")]


def test_a_redelivered_event_keeps_its_dedupe_key():
    again = json.dumps({"events": [EVENT], "firstEventSequence": 9, "lastEventSequence": 9, "entropy": "OTHER"})
    later = json.dumps({"events": [{**EVENT, "eventDateUtc": "2026-03-14T10:00:00.000"}]})

    [first] = webhook_events(BODY)
    [redelivered] = webhook_events(again.encode())
    [another] = webhook_events(later.encode())

    # The key the stored events carry: category, type, resource and date, joined by "|".
    parts = "INVOICE|UPDATE|0b4d8a2e-4b1a-4a8e-bb0e-6d2b1b0d5f10|2026-03-14T09:26:53.433"
    assert first.dedupe_key == redelivered.dedupe_key == hashlib.sha256(parts.encode()).hexdigest()
    assert another.dedupe_key != first.dedupe_key

"""Signed webhook events to apps, and Xero's intent-to-receive check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

import requests
from django.db import transaction
from django.utils import timezone

from xero_sandbox.models import DeveloperApp, Invoice, Organisation, WebhookDelivery

TIMEOUT_SECONDS = 5.0


def sign(*, body: bytes, key: str) -> str:
    """Return Xero's `x-xero-signature`: base64 of HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def _post(*, app: DeveloperApp, organisation: Organisation | None, kind: str, body: bytes, key: str) -> WebhookDelivery:
    signature = sign(body=body, key=key)
    delivery = WebhookDelivery(
        app=app, organisation=organisation, kind=kind, url=app.webhook_url, payload=body.decode(), signature=signature
    )
    try:
        answer = requests.post(
            app.webhook_url,
            data=body,
            headers={"Content-Type": "application/json", "x-xero-signature": signature},
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        delivery.response_status = answer.status_code
        if kind == "intent-good" and (answer.content or answer.cookies):
            delivery.error = "Answer must have an empty body and set no cookies."
    except requests.RequestException as exc:
        delivery.error = f"{type(exc).__name__}: {exc}"[:300]
    delivery.save()
    return delivery


def _event(*, organisation: Organisation, invoice: Invoice, event_type: str) -> dict[str, object]:
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{invoice.invoice_id}",
        "resourceId": str(invoice.invoice_id),
        "eventDateUtc": timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
        "eventType": event_type,
        "eventCategory": "INVOICE",
        "tenantId": str(organisation.tenant_id),
        "tenantType": "ORGANISATION",
    }


def _events_body(*, events: list[dict[str, object]], first_sequence: int) -> bytes:
    payload = {
        "events": events,
        "firstEventSequence": first_sequence,
        "lastEventSequence": first_sequence + len(events) - 1,
        "entropy": secrets.token_hex(10).upper(),
    }
    return json.dumps(payload).encode()


def _next_sequence(app: DeveloperApp) -> int:
    """Return the sequence number of the app's next event (intent-to-receive checks carry none)."""
    last = WebhookDelivery.objects.filter(app=app, kind="event").order_by("-pk").first()
    if last is None:
        return 1
    try:
        return int(json.loads(last.payload).get("lastEventSequence") or 0) + 1
    except (ValueError, AttributeError):
        return WebhookDelivery.objects.filter(app=app, kind="event").count() + 1


def invoice_events_send(*, organisation: Organisation, created: list[Invoice], updated: list[Invoice]) -> None:
    """After commit, POST one signed delivery with an INVOICE event per invoice (CREATE for new
    ones, UPDATE for changed ones: payments, allocations, status changes such as a void) to every
    app connected to the organisation whose webhook URL passed the intent-to-receive check, as
    Xero batches events per delivery."""
    if not created and not updated:
        return
    # Only a subscription whose intent to receive was verified gets events (Xero: the webhook's
    # status turns OK, and events flow, once the URL passed the validation).
    apps = list(
        DeveloperApp.objects.filter(connections__organisation=organisation, webhook_intent_verified=True)
        .exclude(webhook_url="")
        .distinct()
    )
    if not apps:
        return
    events = [_event(organisation=organisation, invoice=i, event_type="CREATE") for i in created]
    events += [_event(organisation=organisation, invoice=i, event_type="UPDATE") for i in updated]

    def send() -> None:
        for app in apps:
            body = _events_body(events=events, first_sequence=_next_sequence(app))
            _post(app=app, organisation=organisation, kind="event", body=body, key=app.webhook_key)

    transaction.on_commit(send)


def invoice_event_send(*, invoice: Invoice) -> None:
    """After commit, POST a signed INVOICE UPDATE event to every connected app with a webhook URL."""
    invoice_events_send(organisation=invoice.organisation, created=[], updated=[invoice])


@dataclass(frozen=True)
class IntentResult:
    ok: bool
    message: str


def webhook_intent_check(*, app: DeveloperApp) -> IntentResult:
    """Run Xero's intent-to-receive check: a good signature must get 200, a bad one 401."""
    if not app.webhook_url:
        return IntentResult(False, "The app has no webhook URL.")
    body = json.dumps(
        {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": secrets.token_hex(10).upper()}
    ).encode()
    good = _post(app=app, organisation=None, kind="intent-good", body=body, key=app.webhook_key)
    bad = _post(app=app, organisation=None, kind="intent-bad", body=body, key=secrets.token_urlsafe(36))
    problems = []
    if good.response_status != 200 or good.error:
        problems.append(f"correctly signed payload got {good.response_status or good.error} (expected 200)")
    if bad.response_status != 401:
        problems.append(f"badly signed payload got {bad.response_status or bad.error} (expected 401)")
    app.webhook_intent_verified = not problems
    app.save(update_fields=["webhook_intent_verified"])
    if problems:
        return IntentResult(False, "Intent to receive failed: " + "; ".join(problems) + ".")
    return IntentResult(True, "Intent to receive verified.")

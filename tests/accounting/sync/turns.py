"""Helpers for tests that run sync turns in this process against the sandbox."""

from __future__ import annotations

import time
from decimal import Decimal

from accounting.sync.models import RecordKind, SyncRecord
from accounting.sync.schedule.turn import channel_push_turn
from xero_sandbox import testing


def drain(channel, *, timeout: float = 30.0) -> None:
    """Run turns until the channel has nothing due (waiting out the limiter like a reschedule)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = channel_push_turn(channel_id=channel.pk)
        if not result.more:
            return
        time.sleep(min(result.wait, 0.5))
    raise AssertionError("the channel still had due rows")


def row_of(channel, obj, kind=RecordKind.INVOICE) -> SyncRecord:
    return SyncRecord.objects.get(channel=channel, kind=kind, object_id=obj.pk)


def seed_contact(org, *, name: str, email: str) -> None:
    """Create a contact in the sandbox first, so the invoice's PUT is the turn's first write."""
    from accounting.providers.xero.client import XeroClient
    from accounting.providers.xero.mapping import contact_payload

    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    client.contacts_create(contacts=[contact_payload(name=name, email=email)], idempotency_key=f"seed-{email}")


def one_line(description: str, price: str) -> list[dict]:
    return [{"description": description, "quantity": Decimal("1"), "unit_price": Decimal(price)}]


def lose_first_put(org, channel) -> None:
    """Run one turn whose invoice PUT is committed in Xero but its answer lost."""
    testing.faults_set(organisation=org.tenant_id, drop_share=1.0)
    channel_push_turn(channel_id=channel.pk)
    testing.faults_clear(organisation=org.tenant_id)

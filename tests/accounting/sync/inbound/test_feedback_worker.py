"""Paid status from Xero with a real Celery worker (and its beat), PostgreSQL, Redis and the sandbox
over HTTP: through the webhook, then, once the merchant removed the key, through the poll."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounting.inbound.webhooks import webhook_key_set
from accounting.sync.models import SyncState, XeroWebhookEvent
from drills.waiting import wait_for
from stores.models import Invoice, InvoiceStatus
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel, sandbox_org, start_worker, stop_worker, worker_env
from tests.accounting.sync.turns import one_line, row_of
from xero_sandbox import testing
from xero_sandbox.models import DeveloperApp
from xero_sandbox.services.webhooks import webhook_intent_check

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def feedback_worker(sandbox, live_server, clean_redis):
    env = worker_env(live_server_url=live_server.url)
    env.update(XERO_POLL_SECONDS="1", XERO_EVENTS_SWEEP_SECONDS="2")
    process = start_worker(env=env, name="feedback-test")
    yield process
    stop_worker(process)


def _status(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).status


def test_a_payment_made_in_xero_marks_the_store_invoice_paid_by_webhook_then_by_poll(feedback_worker, live_server):
    org = sandbox_org("Paid Back Ltd")
    channel = connect_channel(org=org)
    app = DeveloperApp.objects.get(client_id=org.client_id)
    feed = webhook_key_set(channel=channel, key=app.webhook_key)
    app.webhook_url = live_server.url + reverse("accounting:xero-webhook", args=[feed.url_token])
    app.save()
    assert webhook_intent_check(app=app).ok

    first, second = (
        invoice_create(
            store=channel.store,
            number=number,
            customer_name="Ada Lovelace",
            customer_email="ada@example.com",
            issue_date=dt.date(2026, 11, 2),
            due_date=dt.date(2026, 12, 2),
            lines=one_line("Tea", "12.50"),
        )
        for number in ("S-1", "S-2")
    )
    wait_for(lambda: row_of(channel, first).state == SyncState.SYNCED == row_of(channel, second).state, timeout=30)

    # Through the webhook.
    testing.invoice_mark_paid(organisation=org.tenant_id, invoice_number="S-1")
    wait_for(lambda: _status(first) == InvoiceStatus.PAID, timeout=30)
    assert [(p.amount, p.source) for p in first.payments.all()] == [(Decimal("12.50"), "xero")]

    # The merchant removes the key (and the webhook in Xero): the poll takes over.
    webhook_key_set(channel=channel, key="")
    app.webhook_url = ""
    app.save()
    events_before = XeroWebhookEvent.objects.count()
    testing.invoice_mark_paid(organisation=org.tenant_id, invoice_number="S-2")
    wait_for(lambda: _status(second) == InvoiceStatus.PAID, timeout=30)
    assert [(p.amount, p.source) for p in second.payments.all()] == [(Decimal("12.50"), "xero")]
    assert XeroWebhookEvent.objects.count() == events_before
    assert first.payments.count() == 1

"""Paid and void status coming back from Xero, one turn at a time in this process.

The sandbox posts its signed webhook deliveries over real HTTP to the channel's URL on the live
server; the receiver stores them; the processing turn (`events_process`, the task's body) and the
poll (`channel_poll`) fetch from the sandbox over HTTP. What a merchant checks: the store invoice
and its payments.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from accounting.inbound.poll import channel_poll, events_process
from accounting.inbound.webhooks import webhook_key_set
from accounting.sync.models import ChannelXeroFeed, SyncRecord, SyncState, XeroWebhookEvent
from stores.models import InvoiceStatus
from stores.payments import payment_record
from stores.services import invoice_create
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, one_line, row_of
from xero_sandbox import testing
from xero_sandbox.models import DeveloperApp, WebhookDelivery
from xero_sandbox.services.webhooks import sign, webhook_intent_check

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 10


def webhooks_on(*, org, channel, live_server) -> DeveloperApp:
    """Do what the merchant does: save the Xero app's webhook key on the channel page and register
    the channel's URL in the app."""
    app = DeveloperApp.objects.get(client_id=org.client_id)
    feed = webhook_key_set(channel=channel, key=app.webhook_key)
    app.webhook_url = live_server.url + reverse("accounting:xero-webhook", args=[feed.url_token])
    app.save()
    assert webhook_intent_check(app=app).ok  # Xero sends events only once the URL passed it
    return app


def sent_invoice(channel, *, number: str = "S-1", total: str = "20.00"):
    invoice = invoice_create(
        store=channel.store, number=number, customer_name="Ada Lovelace", customer_email="ada@example.com",
        issue_date=dt.date(2026, 11, 2), due_date=dt.date(2026, 12, 2), lines=one_line("Tea", total),
    )  # fmt: skip
    drain(channel)
    assert row_of(channel, invoice).state == SyncState.SYNCED
    return invoice


def test_the_intent_to_receive_check_passes_against_the_channel_url(org, live_server):
    channel = connect_channel(org=org)
    app = webhooks_on(org=org, channel=channel, live_server=live_server)

    result = webhook_intent_check(app=app)

    assert (result.ok, result.message) == (True, "Intent to receive verified.")
    assert ChannelXeroFeed.objects.get(channel=channel).intent_verified_at is not None
    assert XeroWebhookEvent.objects.count() == 0


def test_badly_signed_or_unsigned_deliveries_get_401_and_nothing_is_stored(org, live_server):
    channel = connect_channel(org=org)
    app = webhooks_on(org=org, channel=channel, live_server=live_server)
    event = {
        "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/0f8f4b2c-2f6a-4b39-9f0b-8a1f3a9c1a11",
        "resourceId": "0f8f4b2c-2f6a-4b39-9f0b-8a1f3a9c1a11", "eventDateUtc": "2026-11-20T10:00:00.000",
        "eventType": "UPDATE", "eventCategory": "INVOICE", "tenantId": org.tenant_id, "tenantType": "ORGANISATION",
    }  # fmt: skip
    body = json.dumps({"events": [event], "firstEventSequence": 1, "lastEventSequence": 1}).encode()

    def post(data: bytes, signature: str | None) -> requests.Response:
        headers = {} if signature is None else {"x-xero-signature": signature}
        return requests.post(app.webhook_url, data=data, headers=headers, timeout=T)

    answers = [
        post(body, sign(body=body, key="wrong")),
        post(body, None),
        # The right signature of another body: the signature covers the raw bytes.
        post(body + b" ", sign(body=body, key=app.webhook_key)),
    ]

    assert [(a.status_code, a.content) for a in answers] == [(401, b"")] * 3
    assert XeroWebhookEvent.objects.count() == 0
    assert ChannelXeroFeed.objects.get(channel=channel).last_event_at is None
    unknown = live_server.url + reverse("accounting:xero-webhook", args=["not-a-channel-token"])
    assert requests.post(unknown, data=body, timeout=T).status_code == 404


def test_a_payment_made_in_xero_becomes_one_store_payment_however_often_it_is_delivered(org, live_server):
    channel = connect_channel(org=org)
    app = webhooks_on(org=org, channel=channel, live_server=live_server)
    invoice = sent_invoice(channel, total="20.00")

    testing.invoice_mark_paid(organisation=org.tenant_id, invoice_number="S-1")
    # Xero redelivers the same event (e.g. our answer was slow): the receiver stores it once.
    delivery = WebhookDelivery.objects.filter(app=app, kind="event").latest("pk")
    again = requests.post(
        app.webhook_url, data=delivery.payload.encode(), headers={"x-xero-signature": delivery.signature}, timeout=T
    )
    assert (again.status_code, again.content) == (200, b"")
    assert XeroWebhookEvent.objects.filter(channel=channel, event_type="UPDATE").count() == 1

    events_process(channel_id=channel.pk)
    events_process(channel_id=channel.pk)  # nothing left to do: no second payment

    invoice.refresh_from_db()
    [paid_in_xero] = testing.invoices(organisation=org.tenant_id)[0]["Payments"]
    [payment] = invoice.payments.all()
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PAID, Decimal("0.00"))
    assert (payment.amount, payment.source, payment.method, payment.xero_payment_id) == (
        Decimal("20.00"), "xero", "xero", paid_in_xero["PaymentID"],
    )  # fmt: skip
    assert payment.date == timezone.now().date()  # the date Xero gave the payment
    # The ledger knows Xero holds it: the payments sync never sends it back.
    held = SyncRecord.objects.get(channel=channel, kind="payment", object_id=payment.pk)
    assert (held.state, held.xero_id) == (SyncState.SYNCED, paid_in_xero["PaymentID"])
    assert set(XeroWebhookEvent.objects.filter(channel=channel).values_list("state", flat=True)) == {"done"}
    # The paid invoice is not sent back: nothing of it changed in what Xero holds.
    writes = testing.request_count(organisation=org.tenant_id, method="POST", path_contains="Invoices")
    drain(channel)
    assert testing.request_count(organisation=org.tenant_id, method="POST", path_contains="Invoices") == writes


def test_a_partial_payment_in_xero_leaves_the_rest_due(org, live_server):
    from xero_python.accounting import Account, Invoice, Payment

    from accounting.providers.xero.client import XeroClient

    channel = connect_channel(org=org)
    webhooks_on(org=org, channel=channel, live_server=live_server)
    invoice = sent_invoice(channel, total="50.00")
    # A bookkeeper records part of the money in Xero (any Xero user's payment looks the same).
    sdk = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    payment = Payment(
        invoice=Invoice(invoice_id=row_of(channel, invoice).xero_id), account=Account(code="090"),
        amount=15.0, date=dt.date(2026, 11, 20), reference="Bank transfer 77",
    )  # fmt: skip
    sdk._call(sdk._api.create_payment, payment=payment)

    events_process(channel_id=channel.pk)

    invoice.refresh_from_db()
    [recorded] = invoice.payments.all()
    assert (recorded.amount, recorded.date, recorded.reference) == (
        Decimal("15.00"), dt.date(2026, 11, 20), "Bank transfer 77",
    )  # fmt: skip
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.ISSUED, Decimal("35.00"))


def test_a_payment_the_portal_sent_is_not_imported_back(org, live_server):
    """The ledger row of a store payment holds the PaymentID Xero gave it: that payment is ours."""
    from xero_python.accounting import Account, Invoice, Payment

    from accounting.providers.xero.client import XeroClient

    channel = connect_channel(org=org)
    webhooks_on(org=org, channel=channel, live_server=live_server)
    invoice = sent_invoice(channel, total="20.00")
    ours = payment_record(invoice=invoice, amount=Decimal("20.00"), date=dt.date(2026, 11, 21), method="card")
    # What the payments sync does for it: PUT /Payments, then the PaymentID on the payment's row.
    sdk = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    sent = Payment(
        invoice=Invoice(invoice_id=row_of(channel, invoice).xero_id), account=Account(code="090"),
        amount=20.0, date=dt.date(2026, 11, 21),
    )  # fmt: skip
    answer = sdk._call(sdk._api.create_payment, payment=sent)
    SyncRecord.objects.update_or_create(
        channel=channel, kind="payment", object_id=ours.pk, action="push",
        defaults={"state": SyncState.SYNCED, "xero_id": str(answer.payments[0].payment_id)},
    )  # fmt: skip

    events_process(channel_id=channel.pk)

    invoice.refresh_from_db()
    assert [(p.source, p.amount) for p in invoice.payments.all()] == [("store", Decimal("20.00"))]
    assert invoice.status == InvoiceStatus.PAID


def test_a_void_in_xero_voids_the_store_invoice_with_its_date(org, live_server):
    channel = connect_channel(org=org)
    webhooks_on(org=org, channel=channel, live_server=live_server)
    invoice = sent_invoice(channel)

    testing.invoice_void(organisation=org.tenant_id, invoice_number="S-1")
    events_process(channel_id=channel.pk)

    invoice.refresh_from_db()
    voided = testing.invoices(organisation=org.tenant_id)[0]
    assert invoice.status == InvoiceStatus.VOID
    assert invoice.voided_at is not None
    assert abs((timezone.now() - invoice.voided_at).total_seconds()) < 60
    assert voided["Status"] == "VOIDED"
    # Nothing is sent back to Xero for it: it is void there already.
    writes = testing.request_count(organisation=org.tenant_id, method="POST", path_contains="Invoices")
    drain(channel)
    assert testing.request_count(organisation=org.tenant_id, method="POST", path_contains="Invoices") == writes
    assert row_of(channel, invoice).state == SyncState.SYNCED


@pytest.mark.parametrize("high_volume", [False, True], ids=["regular", "high-volume"])
def test_without_a_key_the_poll_brings_payments_made_in_xero(org, live_server, high_volume):
    # If-Modified-Since with paging is a read even a high-volume organisation serves.
    testing.organisation_settings_set(organisation=org.tenant_id, high_volume=high_volume)
    channel = connect_channel(org=org)
    invoice = sent_invoice(channel, total="20.00")
    other = sent_invoice(channel, number="S-2", total="7.50")

    testing.invoice_mark_paid(organisation=org.tenant_id, invoice_number="S-1")
    channel_poll(channel_id=channel.pk)
    channel_poll(channel_id=channel.pk)  # the watermark moved: nothing is applied twice

    invoice.refresh_from_db()
    other.refresh_from_db()
    assert [(p.amount, p.source) for p in invoice.payments.all()] == [(Decimal("20.00"), "xero")]
    assert invoice.status == InvoiceStatus.PAID
    assert other.status == InvoiceStatus.ISSUED
    feed = ChannelXeroFeed.objects.get(channel=channel)
    paid = testing.invoices(organisation=org.tenant_id)[0]
    # The watermark is the newest UpdatedDateUTC seen ("/Date(ms+0000)/"): the paid invoice's.
    assert feed.poll_watermark is not None
    assert f"/Date({int(feed.poll_watermark.timestamp() * 1000)}+0000)/" == paid["UpdatedDateUTC"]
    assert XeroWebhookEvent.objects.count() == 0


def test_polls_that_find_nothing_back_off_and_a_change_in_xero_brings_the_poll_back(org, live_server, settings):
    from accounting.inbound.poll import POLL_BACK_OFF, pollable_channel_ids

    settings.XERO_POLL_SECONDS, settings.XERO_POLL_TICK_SECONDS = 900.0, 60.0
    channel = connect_channel(org=org)
    sent_invoice(channel, total="20.00")
    channel_poll(channel_id=channel.pk)  # the invoice just sent is a change: no back-off yet
    assert ChannelXeroFeed.objects.get(channel=channel).quiet_polls == 0
    for quiet in range(1, POLL_BACK_OFF + 2):
        channel_poll(channel_id=channel.pk)
        assert ChannelXeroFeed.objects.get(channel=channel).quiet_polls == min(quiet, POLL_BACK_OFF)

    polled_at = ChannelXeroFeed.objects.get(channel=channel).polled_at
    assert polled_at is not None
    due_after = [
        minutes for minutes in (15, 30, 60, 119, 120) if channel.pk in pollable_channel_ids(
            now=polled_at + dt.timedelta(minutes=minutes))
    ]  # fmt: skip
    assert due_after == [119, 120]  # every 2 hours once quiet (less the beat's tick)

    testing.invoice_mark_paid(organisation=org.tenant_id, invoice_number="S-1")
    channel_poll(channel_id=channel.pk)
    assert ChannelXeroFeed.objects.get(channel=channel).quiet_polls == 0
    assert channel.pk in pollable_channel_ids(now=polled_at + dt.timedelta(minutes=15))

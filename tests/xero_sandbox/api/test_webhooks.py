"""Paid invoices send a signed INVOICE UPDATE event; the intent-to-receive check."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from xero_python.accounting import Account, Contact, Invoice, Invoices, LineItem, Payment

from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20


class Receiver:
    """A webhook endpoint on loopback that checks signatures the way Xero asks receivers to."""

    def __init__(self, *, check_signature: bool = True) -> None:
        self.key = ""
        self.received: list[tuple[bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("x-xero-signature", "")
                receiver.received.append((body, signature))
                expected = base64.b64encode(hmac.new(receiver.key.encode(), body, hashlib.sha256).digest()).decode()
                good = hmac.compare_digest(expected, signature) or not check_signature
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/xero/webhook/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver(sandbox_app):
    """A receiver registered as the app's webhook URL, which passed the intent-to-receive check."""
    from xero_sandbox.services.webhooks import webhook_intent_check

    receiver = Receiver()
    receiver.key = sandbox_app.webhook_key
    sandbox_app.webhook_url = receiver.url
    sandbox_app.save()
    assert webhook_intent_check(app=sandbox_app).ok
    receiver.received.clear()  # the check's own deliveries
    yield receiver
    receiver.close()


def test_no_event_is_sent_before_the_url_passed_the_intent_to_receive_check(sdk, tenant, sandbox_app):
    from xero_sandbox.services.apps import app_set_webhook_url

    receiver = Receiver()
    receiver.key = sandbox_app.webhook_key
    try:
        app_set_webhook_url(app=sandbox_app, webhook_url=receiver.url)
        _authorised_invoice(sdk, tenant)
        testing.invoice_mark_paid(organisation=tenant, invoice_number="INV-PAY")
    finally:
        receiver.close()
    assert receiver.received == []
    assert testing.webhook_deliveries(app=sandbox_app) == []


def _authorised_invoice(sdk, tenant) -> Invoice:
    invoice = Invoice(
        type="ACCREC",
        contact=Contact(name="Jane Buyer"),
        date=dt.date(2026, 11, 2),
        invoice_number="INV-PAY",
        status="AUTHORISED",
        line_items=[LineItem(description="Widget", quantity=2.0, unit_amount=10.0, account_code="200")],
    )
    return sdk.accounting.create_invoices(tenant, Invoices(invoices=[invoice]), _request_timeout=T).invoices[0]


def _assert_one_invoice_event(receiver, *, invoice_id, tenant, event_type="UPDATE", sequence=2):
    """The invoice's creation sent a CREATE event first; check the latest delivery."""
    assert len(receiver.received) == sequence
    body, signature = receiver.received[-1]
    expected = base64.b64encode(hmac.new(receiver.key.encode(), body, hashlib.sha256).digest()).decode()
    assert signature == expected
    payload = json.loads(body)
    [event] = payload["events"]
    assert (event["resourceId"], event["eventCategory"], event["eventType"], event["tenantId"]) == (
        str(invoice_id),
        "INVOICE",
        event_type,
        tenant,
    )
    assert event["resourceUrl"].endswith(f"/api.xro/2.0/Invoices/{invoice_id}")
    assert payload["firstEventSequence"] == payload["lastEventSequence"] == sequence


def test_creating_invoices_sends_one_delivery_with_a_create_event_each(sdk, tenant, receiver):
    invoices = [
        Invoice(
            type="ACCREC",
            contact=Contact(name="Jane Buyer"),
            date=dt.date(2026, 11, 2),
            invoice_number=f"INV-{n}",
            status="AUTHORISED",
            line_items=[LineItem(description="Widget", quantity=1.0, unit_amount=10.0, account_code="200")],
        )
        for n in (1, 2)
    ]
    created = sdk.accounting.create_invoices(tenant, Invoices(invoices=invoices), _request_timeout=T).invoices
    [(body, _signature)] = receiver.received
    events = json.loads(body)["events"]
    assert [(e["eventType"], e["resourceId"]) for e in events] == [("CREATE", str(i.invoice_id)) for i in created]


def test_voiding_through_the_api_sends_an_update_event(sdk, tenant, receiver):
    invoice = _authorised_invoice(sdk, tenant)
    void = Invoice(invoice_id=invoice.invoice_id, status="VOIDED")
    sdk.accounting.update_invoice(tenant, invoice.invoice_id, Invoices(invoices=[void]), _request_timeout=T)
    assert testing.invoices(organisation=tenant)[0]["Status"] == "VOIDED"
    _assert_one_invoice_event(receiver, invoice_id=invoice.invoice_id, tenant=tenant)


def test_void_button_voids_the_invoice_and_sends_the_event(sdk, xero_sandbox, tenant, receiver, staff_session):
    invoice = _authorised_invoice(sdk, tenant)
    page = staff_session.get(f"{xero_sandbox}/organisations/{tenant}/", timeout=T)
    assert ">Void</button>" in page.text
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found is not None, page.text
    token = found.group(1)
    answer = staff_session.post(
        f"{xero_sandbox}/organisations/{tenant}/invoices/{invoice.invoice_id}/void/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
        timeout=T,
    )
    assert "Invoice INV-PAY is VOIDED." in answer.text
    assert testing.invoices(organisation=tenant)[0]["Status"] == "VOIDED"
    _assert_one_invoice_event(receiver, invoice_id=invoice.invoice_id, tenant=tenant)


def test_a_paid_invoice_cannot_be_voided_with_the_button(sdk, tenant, receiver):
    invoice = _authorised_invoice(sdk, tenant)
    testing.invoice_mark_paid(organisation=tenant, invoice_number="INV-PAY")
    with pytest.raises(ValueError, match="has a payment or credit note allocated"):
        testing.invoice_void(organisation=tenant, invoice_number="INV-PAY")
    assert testing.invoices(organisation=tenant)[0]["Status"] == "PAID"
    assert str(invoice.invoice_id) == testing.invoices(organisation=tenant)[0]["InvoiceID"]


def test_payment_via_the_api_marks_the_invoice_paid_and_sends_a_signed_event(sdk, tenant, receiver):
    invoice = _authorised_invoice(sdk, tenant)
    payment = Payment(
        invoice=Invoice(invoice_id=invoice.invoice_id),
        account=Account(code="090"),
        amount=24.0,
        date=dt.date(2026, 11, 20),
    )
    answer = sdk.accounting.create_payment(tenant, payment, _request_timeout=T)
    assert answer.payments[0].amount == Decimal("24.00")
    paid = sdk.accounting.get_invoice(tenant, invoice.invoice_id, _request_timeout=T).invoices[0]
    assert (paid.status, paid.amount_due, paid.amount_paid) == ("PAID", Decimal("0.00"), Decimal("24.00"))
    assert paid.fully_paid_on_date == dt.date(2026, 11, 20)
    _assert_one_invoice_event(receiver, invoice_id=invoice.invoice_id, tenant=tenant)


def test_mark_as_paid_button_sends_the_event(sdk, xero_sandbox, tenant, receiver, staff_session):
    invoice = _authorised_invoice(sdk, tenant)
    session = staff_session
    page = session.get(f"{xero_sandbox}/organisations/{tenant}/", timeout=T)
    assert "Mark as paid" in page.text
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found is not None
    token = found.group(1)
    answer = session.post(
        f"{xero_sandbox}/organisations/{tenant}/invoices/{invoice.invoice_id}/pay/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
        timeout=T,
    )
    assert answer.status_code == 200
    assert "Invoice INV-PAY marked as paid." in answer.text
    assert testing.invoices(organisation=tenant)[0]["Status"] == "PAID"
    _assert_one_invoice_event(receiver, invoice_id=invoice.invoice_id, tenant=tenant)


def test_intent_to_receive_passes_only_for_a_receiver_that_checks_signatures(sandbox_app, receiver):
    from xero_sandbox.services.webhooks import webhook_intent_check

    assert webhook_intent_check(app=sandbox_app).ok is True
    sloppy = Receiver(check_signature=False)
    try:
        sandbox_app.webhook_url = sloppy.url
        sandbox_app.save()
        result = webhook_intent_check(app=sandbox_app)
    finally:
        sloppy.close()
    assert result.ok is False
    assert result.message == "Intent to receive failed: badly signed payload got 200 (expected 401)."

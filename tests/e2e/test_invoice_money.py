"""Recording a payment and a refund on the invoice page, in a real browser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from stores.payments import amount_due_limit_message
from stores.views.invoices import payment_recorded_message, refund_recorded_message
from tests.factories import InvoiceFactory, StoreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_record_a_payment_then_a_refund_on_the_invoice_page(logged_in_page, live_server, organization):
    page = logged_in_page
    store = StoreFactory.create(organization=organization, name="High Street Shop")
    invoice = InvoiceFactory.create(store=store, number="INV-9", lines=2)  # 60.00
    page.goto(f"{live_server.url}/stores/{store.pk}/invoices/{invoice.pk}/")
    assert page.locator('[data-total="due"]').inner_text() == "60.00"

    payment = page.get_by_role("form", name="Record a payment")
    payment.get_by_label("Amount").fill("70.00")
    payment.get_by_label("Method").fill("card")
    payment.get_by_role("button", name="Record payment").click()
    payment = page.get_by_role("form", name="Record a payment")
    expect(payment.locator(".errorlist")).to_have_text(amount_due_limit_message(due=Decimal("60.00"), currency="GBP"))
    assert payment.get_by_label("Method").input_value() == "card"  # what was typed is kept

    payment.get_by_label("Amount").fill("60.00")
    payment.get_by_role("button", name="Record payment").click()
    assert page.get_by_role("status").inner_text() == payment_recorded_message(amount=Decimal("60.00"), currency="GBP")
    assert page.locator('[data-total="due"]').inner_text() == "0.00"
    assert page.get_by_role("form", name="Record a payment").count() == 0

    refund = page.get_by_role("form", name="Record a refund")
    refund.get_by_label("Amount").fill("15.00")
    refund.get_by_label("Reason").fill("Arrived chipped")
    refund.get_by_label("Method").fill("card")
    refund.get_by_role("button", name="Record refund").click()
    assert page.get_by_role("status").inner_text() == refund_recorded_message(amount=Decimal("15.00"), currency="GBP")
    assert page.get_by_role("cell", name="Arrived chipped").is_visible()
    assert page.locator('[data-total="credited"]').inner_text() == "15.00"

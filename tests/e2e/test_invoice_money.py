"""Recording a payment and a refund on the invoice page, in a real browser."""

from __future__ import annotations

import pytest

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
    assert "The amount due is 60.00 GBP: pay at most that." in payment.inner_text()
    assert payment.get_by_label("Method").input_value() == "card"  # what was typed is kept

    payment.get_by_label("Amount").fill("60.00")
    payment.get_by_role("button", name="Record payment").click()
    assert page.get_by_role("status").inner_text() == "Payment of 60.00 GBP recorded."
    assert page.locator('[data-total="due"]').inner_text() == "0.00"
    assert page.get_by_role("form", name="Record a payment").count() == 0

    refund = page.get_by_role("form", name="Record a refund")
    refund.get_by_label("Amount").fill("15.00")
    refund.get_by_label("Reason").fill("Arrived chipped")
    refund.get_by_label("Method").fill("card")
    refund.get_by_role("button", name="Record refund").click()
    assert page.get_by_role("status").inner_text() == "Refund of 15.00 GBP recorded."
    assert page.get_by_role("cell", name="Arrived chipped").is_visible()
    assert page.locator('[data-total="credited"]').inner_text() == "15.00"

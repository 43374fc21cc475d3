"""The invoice page as an operator uses it for money: payments, refunds, line kinds, amount due."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from stores.models import Payment, Refund
from stores.payments import (
    amount_due_limit_message,
    paid_not_refunded_limit_message,
    payment_record,
    refund_record,
)
from stores.services import invoice_create
from stores.views.invoices import payment_recorded_message
from tests.factories import StoreFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def invoice(organization):
    """2 × 10.00 at 20%, 4.95 shipping at 20%, a 2.00 discount at 20%: 27.54."""
    return invoice_create(
        store=StoreFactory.create(organization=organization),
        number="INV-9",
        customer_name="Ada",
        issue_date=DAY,
        due_date=DAY + datetime.timedelta(days=14),
        lines=[
            {"description": "Mug", "quantity": 2, "unit_price": Decimal("10"), "tax_rate": Decimal("20")},
            {
                "kind": "shipping",
                "description": "Delivery",
                "quantity": 1,
                "unit_price": Decimal("4.95"),
                "tax_rate": 20,
            },
            {"kind": "discount", "description": "WELCOME", "quantity": 1, "unit_price": Decimal("-2"), "tax_rate": 20},
        ],
    )


def _page(client, invoice):
    response = client.get(reverse("stores:invoice-detail", args=[invoice.store_id, invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_page_shows_kinds_payments_refunds_and_amount_due(member_client, invoice):
    payment_record(invoice=invoice, amount=Decimal("27.54"), date=DAY, method="card", reference="ch_77")
    mug = invoice.lines.get(description="Mug")
    refund_record(
        invoice=invoice, date=DAY, lines=[{"invoice_line": mug, "quantity": 1}], method="card", reason="Chipped"
    )
    html = _page(member_client, invoice)
    assert '<tr data-kind="shipping">' in html and '<tr data-kind="discount">' in html
    assert "<td>Shipping</td>" in html and "<td>Discount</td>" in html
    assert '<td class="num" data-total="total">27.54</td>' in html
    assert '<td class="num" data-total="paid">27.54</td>' in html
    assert '<td class="num" data-total="credited">12.00</td>' in html
    assert '<td class="num" data-total="due"><strong>0.00</strong></td>' in html
    assert "<td>ch_77</td>" in html
    assert "1 × Mug (12.00)" in html and "Chipped" in html
    # Paid in full: no payment form; 15.54 left to refund: the refund form.
    assert "Record payment" not in html and "Record refund" in html
    assert 'id="xero"' in html  # the per-channel sync panel stays


def test_record_a_payment_from_the_page(member_client, invoice):
    url = reverse("stores:invoice-payment-create", args=[invoice.store_id, invoice.pk])
    response = member_client.post(
        url, {"payment-amount": "10.00", "payment-date": "2026-11-03", "payment-method": "bank_transfer"}
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_due, invoice.status) == (Decimal("10.00"), Decimal("17.54"), "issued")
    page = member_client.get(reverse("stores:invoice-detail", args=[invoice.store_id, invoice.pk]))
    assert messages_of(page) == [payment_recorded_message(amount=Decimal("10.00"), currency="GBP")]


def test_a_refused_payment_explains_keeps_the_input_and_saves_nothing(member_client, invoice):
    url = reverse("stores:invoice-payment-create", args=[invoice.store_id, invoice.pk])
    response = member_client.post(
        url,
        {"payment-amount": "99.00", "payment-date": "2026-11-03", "payment-method": "card", "payment-reference": "r-1"},
    )
    assert response.status_code == 200
    assert response.context["payment_form"].errors == {
        "amount": [amount_due_limit_message(due=Decimal("27.54"), currency="GBP")]
    }
    html = response.content.decode()
    assert 'value="99.00"' in html and 'value="r-1"' in html
    assert Payment.objects.count() == 0


def test_record_a_refund_of_a_line_from_the_page(member_client, invoice):
    payment_record(invoice=invoice, amount=Decimal("27.54"), date=DAY, method="card")
    delivery = invoice.lines.get(description="Delivery")
    url = reverse("stores:invoice-refund-create", args=[invoice.store_id, invoice.pk])
    response = member_client.post(
        url, {"refund-line": delivery.pk, "refund-date": "2026-11-04", "refund-method": "card", "refund-reason": "Late"}
    )
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.method, refund.reason) == (Decimal("5.94"), "card", "Late")
    assert list(refund.lines.values_list("invoice_line", "quantity")) == [(delivery.pk, Decimal("1"))]


def test_a_refused_refund_explains_and_saves_nothing(member_client, invoice):
    url = reverse("stores:invoice-refund-create", args=[invoice.store_id, invoice.pk])
    response = member_client.post(url, {"refund-amount": "5.00", "refund-date": "2026-11-04", "refund-method": "card"})
    assert response.status_code == 200
    assert response.context["refund_form"].errors == {
        "amount": [paid_not_refunded_limit_message(money_left=Decimal("0.00"), currency="GBP")]
    }
    assert Refund.objects.count() == 0


def test_record_a_partial_refund_with_money_returned_from_the_page(member_client, invoice):
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="card")  # 17.54 due
    url = reverse("stores:invoice-refund-create", args=[invoice.store_id, invoice.pk])
    data = {"refund-amount": "15.00", "refund-date": "2026-11-04", "refund-method": "card"}

    refused = member_client.post(url, {**data, "refund-amount_returned": "12.00"})
    assert refused.status_code == 200
    assert refused.context["refund_form"].errors == {
        "amount_returned": [paid_not_refunded_limit_message(money_left=Decimal("10.00"), currency="GBP")]
    }
    assert 'value="12.00"' in refused.content.decode() and Refund.objects.count() == 0

    assert member_client.post(url, {**data, "refund-amount_returned": "5.00"}).status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.amount_returned, refund.method) == (Decimal("15.00"), Decimal("5.00"), "card")
    html = _page(member_client, invoice)
    assert "<span data-returned>5.00</span> to card" in html
    # 27.54 − 10.00 paid − 15.00 credited + 5.00 returned
    assert '<td class="num" data-total="due"><strong>7.54</strong></td>' in html


def test_a_draft_invoice_offers_no_money_forms(member_client, organization):
    draft = invoice_create(
        store=StoreFactory.create(organization=organization),
        number="D-1",
        customer_name="Ada",
        issue_date=DAY,
        due_date=DAY,
        status="draft",
        lines=[{"description": "Mug", "quantity": 1, "unit_price": Decimal("1")}],
    )
    html = _page(member_client, draft)
    assert "Record payment" not in html and "Record refund" not in html
    assert '<p class="muted">No payments yet.</p>' in html


def test_create_an_invoice_with_shipping_and_discount_lines(member_client, organization):
    store = StoreFactory.create(organization=organization)
    data = {
        "number": "WEB-1",
        "customer_name": "Ada",
        "currency": "GBP",
        "tax_mode": "inclusive",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "status": "issued",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for n, (kind, description, price) in enumerate(
        [("product", "Tea", "12.00"), ("shipping", "Post", "6.00"), ("discount", "TEA10", "-1.20")]
    ):
        data.update(
            {
                f"lines-{n}-kind": kind,
                f"lines-{n}-description": description,
                f"lines-{n}-quantity": "1",
                f"lines-{n}-unit_price": price,
                f"lines-{n}-tax_rate": "20",
                f"lines-{n}-discount_rate": "0",
            }
        )
    response = member_client.post(reverse("stores:invoice-create", args=[store.pk]), data)
    assert response.status_code == 302
    invoice = store.invoices.get()
    assert (invoice.tax_mode, invoice.total_tax, invoice.total) == ("inclusive", Decimal("2.80"), Decimal("16.80"))

    data["number"], data["lines-2-unit_price"] = "WEB-2", "1.20"
    response = member_client.post(reverse("stores:invoice-create", args=[store.pk]), data)
    assert response.status_code == 200
    assert response.context["lines"].errors[2] == {
        "unit_price": ["A discount line takes money off: its unit price must be negative."]
    }
    assert store.invoices.count() == 1

"""Payments and refunds through the Billing API, and what every invoice answer carries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounting.sync.models import RecordKind, SyncRecord, SyncState
from stores.models import Invoice, Payment, Refund
from stores.payments import payment_record
from stores.services import invoice_create
from tests.factories import AccountingChannelFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


@pytest.fixture
def invoice(store):
    """2 × 10.00 at 20% plus 4.95 shipping at 20%: 29.94."""
    return invoice_create(
        store=store,
        number="INV-1",
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
        ],
    )


def _pay(api, invoice, **body):
    payload = {"amount": "29.94", "date": "2026-11-03", "method": "card", "reference": "ch_123", **body}
    return api.post(f"/api/v1/invoices/{invoice.pk}/payments/", payload, format="json")


def test_a_payment_answers_201_with_the_invoice_paid(api, invoice):
    response = _pay(api, invoice, amount="10.00")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["amount_paid"], body["amount_due"]) == ("issued", "10.00", "19.94")

    body = _pay(api, invoice, amount="19.94", method="paypal", reference="").json()
    assert (body["status"], body["amount_paid"], body["amount_due"]) == ("paid", "29.94", "0.00")
    assert [(p["amount"], p["method"], p["reference"], p["source"]) for p in body["payments"]] == [
        ("10.00", "card", "ch_123", "store"),
        ("19.94", "paypal", "", "store"),
    ]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"amount": "29.95"}, {"amount": ["The amount due is 29.94 GBP: pay at most that."]}),
        ({"amount": "-1"}, {"amount": ["The amount must be more than zero."]}),
        ({"amount": "abc"}, {"amount": ["A valid number is required."]}),
        ({"method": ""}, {"method": ["This field may not be blank."]}),
        ({"date": "03/11/2026"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ],
)
def test_a_bad_payment_answers_400_and_saves_nothing(api, invoice, body, errors):
    response = _pay(api, invoice, **body)
    assert response.status_code == 400
    assert response.json() == errors
    invoice.refresh_from_db()
    assert (Payment.objects.count(), invoice.amount_paid, invoice.status) == (0, Decimal("0.00"), "issued")


def test_a_void_invoice_takes_no_payment(api, invoice):
    api.patch(f"/api/v1/invoices/{invoice.pk}/", {"status": "void"}, format="json")
    response = _pay(api, invoice)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["A void invoice cannot take payments."]}
    assert Payment.objects.count() == 0


def test_a_partial_refund_by_line_with_money_back(api, invoice):
    _pay(api, invoice)
    mug = invoice.lines.get(description="Mug")
    response = api.post(
        f"/api/v1/invoices/{invoice.pk}/refunds/",
        {
            "date": "2026-11-05",
            "lines": [{"invoice_line": mug.pk, "quantity": "1"}],
            "reason": "Chipped",
            "method": "card",
            "reference": "re_1",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    [refund] = body["refunds"]
    assert (refund["amount"], refund["reason"], refund["method"], refund["money_returned"]) == (
        "12.00",
        "Chipped",
        "card",
        True,
    )
    assert refund["lines"] == [{"invoice_line": mug.pk, "quantity": "1.0000", "amount": "12.00"}]
    assert (body["status"], body["amount_credited"], body["amount_refunded"], body["amount_due"]) == (
        "paid",
        "12.00",
        "12.00",
        "0.00",
    )


def test_a_refund_by_amount_as_a_credit_only(api, invoice):
    response = api.post(
        f"/api/v1/invoices/{invoice.pk}/refunds/", {"date": "2026-11-05", "amount": "4.94"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["refunds"][0]["money_returned"], body["amount_due"]) == (False, "25.00")


def test_a_partial_refund_returns_part_of_its_amount_as_money(api, invoice):
    _pay(api, invoice, amount="10.00")  # 19.94 due
    response = api.post(
        f"/api/v1/invoices/{invoice.pk}/refunds/",
        {"date": "2026-11-05", "amount": "20.00", "amount_returned": "8.00", "method": "card", "reference": "re_2"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    [refund] = body["refunds"]
    assert (refund["amount"], refund["amount_returned"], refund["money_returned"]) == ("20.00", "8.00", True)
    # 29.94 − 10.00 paid − 20.00 credited + 8.00 returned
    assert (body["amount_credited"], body["amount_refunded"], body["amount_due"]) == ("20.00", "8.00", "7.94")


def test_a_refund_without_amount_returned_returns_all_with_a_method(api, invoice):
    _pay(api, invoice, amount="10.00")
    body = api.post(
        f"/api/v1/invoices/{invoice.pk}/refunds/",
        {"date": "2026-11-05", "amount": "6.00", "method": "card"},
        format="json",
    ).json()
    assert (body["refunds"][0]["amount_returned"], body["amount_refunded"]) == ("6.00", "6.00")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"amount": "5.00", "amount_returned": "-0.01", "method": "card"},
            {"amount_returned": ["The money returned can not be below zero."]},
        ),
        (
            {"amount": "5.00", "amount_returned": "many", "method": "card"},
            {"amount_returned": ["A valid number is required."]},
        ),
        (
            {"amount": "5.00", "amount_returned": "5.01", "method": "card"},
            {"amount_returned": ["At most the refund's amount (5.00) can go back."]},
        ),
        (
            {"amount": "5.00", "amount_returned": "2.00"},
            {"method": ["Say how the money went back (e.g. card), or return nothing."]},
        ),
        (
            {"amount": "12.00", "amount_returned": "10.01", "method": "card"},
            {"amount_returned": ["Only 10.00 GBP was paid and not refunded: give back at most that."]},
        ),
        (
            {"amount": "25.00", "amount_returned": "5.00", "method": "card"},
            {
                "amount_returned": [
                    "The part not returned (20.00 GBP) can be at most the amount due (19.94 GBP): return at least 5.06."
                ]
            },
        ),
    ],
    ids=["below-zero", "not-a-number", "more-than-refund", "no-method", "more-than-paid", "too-much-kept"],
)
def test_a_bad_amount_returned_answers_400_and_saves_nothing(api, invoice, body, errors):
    _pay(api, invoice, amount="10.00")  # 19.94 due
    response = api.post(f"/api/v1/invoices/{invoice.pk}/refunds/", {"date": "2026-11-05", **body}, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    invoice.refresh_from_db()
    assert (Refund.objects.count(), invoice.amount_credited, invoice.amount_refunded) == (
        0,
        Decimal("0.00"),
        Decimal("0.00"),
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"date": "2026-11-05"}, {"amount": ["Give an amount or lines to refund."]}),
        (
            {"date": "2026-11-05", "amount": "10", "method": "card"},
            {"amount": ["Only 0.00 GBP was paid and not refunded: give back at most that."]},
        ),
        ({"date": "2026-11-05", "amount": "29.95"}, {"amount": ["Only 29.94 GBP of this invoice is left to refund."]}),
        (
            {"date": "2026-11-05", "lines": [{"invoice_line": 987654}]},
            {"lines": ["Line 1: this invoice has no line 987654."]},
        ),
        (
            {"date": "2026-11-05", "lines": [{"quantity": "1"}]},
            {"lines": {"0": {"invoice_line": ["This field is required."]}}},
        ),
    ],
)
def test_a_bad_refund_answers_400_and_saves_nothing(api, invoice, body, errors):
    response = api.post(f"/api/v1/invoices/{invoice.pk}/refunds/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    invoice.refresh_from_db()
    assert (Refund.objects.count(), invoice.amount_credited) == (0, Decimal("0.00"))


def test_create_accepts_kinds_tax_mode_rate_and_customer_details(api, store):
    payload = {
        "number": "WEB-1",
        "customer_name": "Ada Lovelace",
        "customer_id": "cus_42",
        "customer_first_name": "Ada",
        "customer_last_name": "Lovelace",
        "customer_phone": "+44 20 7946 0000",
        "customer_address_line1": "12 Analytical Row",
        "customer_city": "London",
        "customer_postal_code": "N1 9GU",
        "customer_country": "GB",
        "currency": "EUR",
        "exchange_rate": "1.174500",
        "tax_mode": "inclusive",
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "lines": [
            {"description": "Tea", "quantity": "1", "unit_price": "12.00", "tax_rate": "20"},
            {"kind": "shipping", "description": "Post", "quantity": "1", "unit_price": "6.00", "tax_rate": "20"},
            {"kind": "discount", "description": "TEA10", "quantity": "1", "unit_price": "-1.20", "tax_rate": "20"},
        ],
    }
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("customer_id", "customer_city", "exchange_rate", "tax_mode")} == {
        "customer_id": "cus_42",
        "customer_city": "London",
        "exchange_rate": "1.174500",
        "tax_mode": "inclusive",
    }
    # Tax inclusive: 12.00 → 2.00 tax, 6.00 → 1.00, −1.20 → −0.20; total 16.80.
    assert [(line["kind"], line["line_amount"], line["tax_amount"]) for line in body["lines"]] == [
        ("product", "12.00", "2.00"),
        ("shipping", "6.00", "1.00"),
        ("discount", "-1.20", "-0.20"),
    ]
    assert (body["subtotal"], body["total_tax"], body["total"], body["amount_due"]) == (
        "14.00",
        "2.80",
        "16.80",
        "16.80",
    )


@pytest.mark.parametrize(
    ("line", "errors"),
    [
        (
            {"kind": "discount", "unit_price": "1.20"},
            {"unit_price": ["A discount line takes money off: its unit price must be negative."]},
        ),
        (
            {"kind": "product", "unit_price": "-1"},
            {"unit_price": ["The unit price cannot be negative (use a discount or gift card redeemed line)."]},
        ),
        ({"kind": "coupon", "unit_price": "1"}, {"kind": ['"coupon" is not a valid choice.']}),
    ],
)
def test_line_kind_rules_answer_400_by_line(api, store, line, errors):
    payload = {
        "number": "WEB-2",
        "customer_name": "Ada",
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "lines": [
            {"description": "Tea", "quantity": "1", "unit_price": "5"},
            {"description": "X", "quantity": "1", **line},
        ],
    }
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"lines": {"1": errors}}
    assert not Invoice.objects.exists()


def test_bad_tax_mode_and_rate_answer_400(api, store):
    payload = {
        "number": "WEB-3",
        "customer_name": "Ada",
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "tax_mode": "gross",
        "exchange_rate": "0",
        "lines": [{"description": "Tea", "quantity": "1", "unit_price": "5"}],
    }
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "tax_mode": ['"gross" is not a valid choice.'],
        "exchange_rate": ["Ensure this value is greater than or equal to 0.000001."],
    }
    assert not Invoice.objects.exists()


def test_paid_invoices_lines_are_fixed(api, invoice):
    payment_record(invoice=invoice, amount=Decimal("1.00"), date=DAY, method="card")
    response = api.patch(
        f"/api/v1/invoices/{invoice.pk}/",
        {"lines": [{"description": "Other", "quantity": "1", "unit_price": "1"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "lines": ["This invoice has payments or refunds: its lines and tax mode can no longer change."]
    }
    assert invoice.lines.count() == 2


def test_every_invoice_answer_carries_its_sync_per_channel(api, store, invoice, settings):
    settings.XERO_API_URL = "https://api.xero.com"
    in_xero = AccountingChannelFactory.create(store=store, name="Xero UK", tenant_id="t-1")
    failing = AccountingChannelFactory.create(store=store, name="Xero IE", tenant_id="t-2")
    SyncRecord.objects.filter(channel=in_xero, kind=RecordKind.INVOICE, object_id=invoice.pk).update(
        state=SyncState.SYNCED, xero_id="x-inv-1", xero_status="PAID"
    )
    SyncRecord.objects.filter(channel=failing, kind=RecordKind.INVOICE, object_id=invoice.pk).update(
        state=SyncState.FAILED, last_error="Account code '200' is not a valid code for this document."
    )
    detail = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    listed = api.get(f"/api/v1/stores/{store.pk}/invoices/").json()["results"][0]
    assert (
        detail["sync"]
        == listed["sync"]
        == [
            {
                "channel": failing.pk,
                "channel_name": "Xero IE",
                "state": "failed",
                "state_label": "Failed",
                "xero_id": "",
                "xero_url": "",
                "last_error": "Account code '200' is not a valid code for this document.",
                "paid_in_xero": False,
                "summary": None,
                "changed_in_xero": "",
            },
            {
                "channel": in_xero.pk,
                "channel_name": "Xero UK",
                "state": "paid_in_xero",
                "state_label": "Paid in Xero",
                "xero_id": "x-inv-1",
                "xero_url": "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=x-inv-1",
                "last_error": "",
                "paid_in_xero": True,
                "summary": None,
                "changed_in_xero": "",
            },
        ]
    )


def test_payments_of_another_organizations_invoice_answer_404(api, other_store):
    theirs = InvoiceFactory.create(store=other_store)
    response = api.post(
        f"/api/v1/invoices/{theirs.pk}/payments/",
        {"amount": "1", "date": "2026-11-03", "method": "card"},
        format="json",
    )
    assert response.status_code == 404
    assert Payment.objects.count() == 0

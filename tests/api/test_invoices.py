"""Invoices through the Billing API: lines nested, totals computed by the server."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from stores.models import Invoice, InvoiceStatus
from tests.factories import InvoiceFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _payload(**overrides):
    payload = {
        "number": "INV-1001",
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "issue_date": "2026-11-02",
        "due_date": "2026-12-02",
        "lines": [
            {"description": "Consulting", "quantity": "3", "unit_price": "33.33", "tax_rate": "20"},
            {"description": "Travel", "quantity": "1", "unit_price": "10.005", "tax_rate": "0", "discount_rate": "10"},
        ],
    }
    payload.update(overrides)
    return payload


def test_create_invoice_computes_totals_and_ignores_client_totals(api, store):
    response = api.post(
        f"/api/v1/stores/{store.pk}/invoices/",
        _payload(subtotal="1.00", total_tax="0.00", total="1.00"),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    # 3 × 33.33 = 99.99, tax 20 % = 20.00 (19.998 rounded per line); 10.005 less 10 % = 9.0045 → 9.00.
    assert (body["subtotal"], body["total_tax"], body["total"]) == ("108.99", "20.00", "128.99")
    assert [(line["position"], line["line_amount"], line["tax_amount"]) for line in body["lines"]] == [
        (0, "99.99", "20.00"),
        (1, "9.00", "0.00"),
    ]
    invoice = Invoice.objects.get(store=store, number="INV-1001")
    assert (invoice.currency, invoice.status, invoice.total) == ("GBP", InvoiceStatus.ISSUED, Decimal("128.99"))
    assert (invoice.issue_date, invoice.due_date) == (datetime.date(2026, 11, 2), datetime.date(2026, 12, 2))


def test_line_with_a_product_takes_its_name_and_price(api, store):
    product = ProductFactory.create(store=store, sku="MUG", name="Mug", unit_price=Decimal("8.50"))
    response = api.post(
        f"/api/v1/stores/{store.pk}/invoices/",
        _payload(currency="EUR", status="draft", lines=[{"product": product.pk, "quantity": "2"}]),
        format="json",
    )
    assert response.status_code == 201
    line = response.json()["lines"][0]
    assert (line["product"], line["description"], line["unit_price"], line["line_amount"]) == (
        product.pk,
        "Mug",
        "8.5000",
        "17.00",
    )
    assert (response.json()["currency"], response.json()["status"]) == ("EUR", "draft")


BAD_INVOICES = [
    ({"number": "TAKEN"}, {"number": ["This store already has an invoice numbered TAKEN."]}),
    ({"due_date": "2026-11-01"}, {"due_date": ["The due date cannot be before the issue date."]}),
    ({"currency": "pounds"}, {"currency": ["Use a three-letter ISO 4217 currency code, e.g. GBP."]}),
    ({"currency": "gbp"}, {"currency": ["Use a three-letter ISO 4217 currency code, e.g. GBP."]}),
    ({"status": "paid"}, {"status": ['"paid" is not a valid choice.']}),
    ({"customer_email": "not-an-email"}, {"customer_email": ["Enter a valid email address."]}),
    (
        {"issue_date": "02/11/2026"},
        {"issue_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
    ),
    ({"lines": []}, {"lines": ["An invoice needs at least one line."]}),
    (
        {"lines": [{"description": "Refund", "quantity": "-1", "unit_price": "5"}]},
        {"lines": {"0": {"quantity": ["Ensure this value is greater than or equal to 0."]}}},
    ),
    (
        {"lines": [{"quantity": "1"}]},
        {
            "lines": {
                "0": {
                    "description": ["Give a description (or a product)."],
                    "unit_price": ["Give a unit price (or a product)."],
                }
            }
        },
    ),
    (
        {"lines": [{"description": "Ok", "quantity": "1", "unit_price": "1"}, {"product": 999999, "quantity": "1"}]},
        {"lines": {"1": {"product": ["This store has no product 999999."]}}},
    ),
    (
        {"lines": [{"description": "Tax", "quantity": "1", "unit_price": "1", "tax_rate": "120"}]},
        {"lines": {"0": {"tax_rate": ["Ensure this value is less than or equal to 100."]}}},
    ),
]


@pytest.mark.parametrize(("overrides", "errors"), BAD_INVOICES)
def test_bad_invoice_answers_400_and_creates_nothing(api, store, overrides, errors):
    InvoiceFactory.create(store=store, number="TAKEN")
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", _payload(**overrides), format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert list(Invoice.objects.filter(store=store).values_list("number", flat=True)) == ["TAKEN"]


def test_product_of_another_store_is_refused_on_a_line(api, store, other_store):
    foreign = ProductFactory.create(store=other_store)
    response = api.post(
        f"/api/v1/stores/{store.pk}/invoices/",
        _payload(lines=[{"product": foreign.pk, "quantity": "1"}]),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"lines": {"0": {"product": [f"This store has no product {foreign.pk}."]}}}
    assert Invoice.objects.count() == 0


def test_form_encoded_body_is_refused(api, store):
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", {"number": "X"})
    assert response.status_code == 415


def test_list_invoices_with_lines(api, store, other_store):
    older = InvoiceFactory.create(store=store, number="A-1", issue_date=datetime.date(2026, 1, 1), lines=2)
    newer = InvoiceFactory.create(store=store, number="A-2", issue_date=datetime.date(2026, 2, 1), lines=1)
    InvoiceFactory.create(store=other_store, number="FOREIGN")

    response = api.get(f"/api/v1/stores/{store.pk}/invoices/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(i["id"], i["number"], len(i["lines"]), i["total"]) for i in body["results"]] == [
        (newer.pk, "A-2", 1, "30.00"),
        (older.pk, "A-1", 2, "60.00"),
    ]


def test_read_invoice(api, store):
    invoice = InvoiceFactory.create(store=store, number="R-1", lines=1)
    response = api.get(f"/api/v1/invoices/{invoice.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["store"], body["subtotal"], body["total_tax"], body["total"]) == (
        "R-1",
        store.pk,
        "25.00",
        "5.00",
        "30.00",
    )
    assert [(line["quantity"], line["unit_price"], line["tax_rate"]) for line in body["lines"]] == [
        ("2.0000", "12.5000", "20.00")
    ]


def test_patch_lines_replaces_them_and_recomputes_totals(api, store):
    invoice = InvoiceFactory.create(store=store, number="P-1", lines=2)
    response = api.patch(
        f"/api/v1/invoices/{invoice.pk}/",
        {"customer_name": "Grace Hopper", "lines": [{"description": "Only", "quantity": "1", "unit_price": "100"}]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["customer_name"], body["total"], len(body["lines"])) == ("Grace Hopper", "100.00", 1)
    invoice.refresh_from_db()
    assert (invoice.customer_name, invoice.total, invoice.lines.count()) == ("Grace Hopper", Decimal("100.00"), 1)


def test_patch_lines_are_validated_whole(api, store):
    invoice = InvoiceFactory.create(store=store, lines=1)
    response = api.patch(f"/api/v1/invoices/{invoice.pk}/", {"lines": [{"description": "x"}]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"lines": {"0": {"quantity": ["This field is required."]}}}
    assert invoice.lines.count() == 1


def test_patch_due_date_before_existing_issue_date_answers_400(api, store):
    invoice = InvoiceFactory.create(
        store=store, issue_date=datetime.date(2026, 5, 10), due_date=datetime.date(2026, 6, 10)
    )
    response = api.patch(f"/api/v1/invoices/{invoice.pk}/", {"due_date": "2026-05-09"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"due_date": ["The due date cannot be before the issue date."]}
    invoice.refresh_from_db()
    assert invoice.due_date == datetime.date(2026, 6, 10)


def test_put_requires_the_whole_invoice(api, store):
    invoice = InvoiceFactory.create(store=store, number="PUT-1")
    response = api.put(f"/api/v1/invoices/{invoice.pk}/", {"customer_name": "Only name"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"number", "issue_date", "due_date", "lines"}

    response = api.put(f"/api/v1/invoices/{invoice.pk}/", _payload(number="PUT-1", status="void"), format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["total"]) == ("void", "128.99")


@pytest.mark.parametrize(("status", "label"), [(InvoiceStatus.PAID, "paid"), (InvoiceStatus.VOID, "void")])
def test_paid_or_void_invoice_cannot_change(api, store, status, label):
    invoice = InvoiceFactory.create(store=store, status=status, customer_name="Before")
    response = api.patch(f"/api/v1/invoices/{invoice.pk}/", {"customer_name": "After"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [f"A {label} invoice cannot be changed."]}
    invoice.refresh_from_db()
    assert invoice.customer_name == "Before"

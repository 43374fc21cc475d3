"""Amounts too large to store: a clear 400 (or the form again) with the line named, nothing saved.

Found by drill 5: quantity 99,999,999.9999 × unit price 9,999,999,999.9999 passes each field's own
limits but its line amount does not fit the Decimal(14, 2) column, and PostgreSQL's "numeric field
overflow" answered 500.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from stores.models import Invoice, InvoiceLine
from stores.money import line_too_large_message

pytestmark = pytest.mark.django_db

BODY = {"number": "BIG-1", "customer_name": "Ada", "issue_date": "2026-01-01", "due_date": "2026-01-31"}


def test_a_line_too_large_to_store_is_refused_with_its_number(api, store):
    lines = [
        {"description": "Fine", "quantity": "1", "unit_price": "10"},
        {"description": "Huge", "quantity": "99999999.9999", "unit_price": "9999999999.9999"},
    ]
    answer = api.post(f"/api/v1/stores/{store.pk}/invoices/", {**BODY, "lines": lines}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"lines": ["Line 2: its amount or tax is too large (at most 999,999,999,999.99 per line)."]}
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_lines_that_fit_but_add_up_to_too_much_are_refused(api, store):
    lines = [{"description": "Big", "quantity": "100", "unit_price": "6000000000"}] * 2
    answer = api.post(f"/api/v1/stores/{store.pk}/invoices/", {**BODY, "lines": lines}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"lines": ["The invoice total is too large (at most 999,999,999,999.99)."]}
    assert not Invoice.objects.exists()


def test_the_largest_total_that_fits_is_accepted(api, store):
    lines = [{"description": "Big", "quantity": "100", "unit_price": "9999999999.9999"}]
    answer = api.post(f"/api/v1/stores/{store.pk}/invoices/", {**BODY, "lines": lines}, format="json")
    assert answer.status_code == 201
    assert answer.json()["total"] == "999999999999.99"


def test_a_change_too_large_keeps_the_invoice_as_it_was(api, store):
    created = api.post(
        f"/api/v1/stores/{store.pk}/invoices/",
        {**BODY, "lines": [{"description": "Small", "quantity": "2", "unit_price": "5"}]},
        format="json",
    ).json()
    huge = [{"description": "Huge", "quantity": "99999999", "unit_price": "99999999"}]
    answer = api.patch(f"/api/v1/invoices/{created['id']}/", {"lines": huge}, format="json")
    assert answer.status_code == 400
    invoice = Invoice.objects.get(pk=created["id"])
    assert invoice.total == 10 and [line.description for line in invoice.lines.all()] == ["Small"]


def test_the_invoice_form_explains_a_line_too_large_and_keeps_what_was_typed(member_client, store):
    data = {
        **BODY,
        "currency": "GBP",
        "status": "issued",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "Huge",
        "lines-0-quantity": "99999999.9999",
        "lines-0-unit_price": "9999999999.9999",
        "lines-0-tax_rate": "0",
        "lines-0-discount_rate": "0",
    }
    response = member_client.post(reverse("stores:invoice-create", args=[store.pk]), data)
    assert response.status_code == 200
    assert response.context["lines"].non_form_errors() == [line_too_large_message(index=1)]
    assert 'value="9999999999.9999"' in response.content.decode()
    assert not Invoice.objects.exists()

"""Every Billing API URL answers 404 to another organization's ids, exactly as to missing ones."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from stores.api.urls import v1
from stores.models import Invoice, Product
from tests.factories import InvoiceFactory, ProductFactory

pytestmark = pytest.mark.django_db

# The object named in the 404 is the first one looked up: the store of a store URL.
NOT_FOUND = {"store_id": "No store found.", "product_id": "No product found.", "invoice_id": "No invoice found."}


def _methods(pattern: URLPattern) -> list[str]:
    view_class = pattern.callback.view_class  # type: ignore[attr-defined]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]


@pytest.fixture
def foreign_ids(other_store):
    product = ProductFactory(store=other_store, sku="THEIRS", name="Theirs")
    invoice = InvoiceFactory(store=other_store, number="THEIRS-1", customer_name="Theirs")
    return {"store_id": other_store.pk, "product_id": product.pk, "invoice_id": invoice.pk}


def _cases():
    for pattern in v1:
        if pattern.pattern.converters:  # type: ignore[attr-defined]
            for method in _methods(pattern):
                yield pytest.param(pattern, method, id=f"{method.upper()} {pattern.name}")


def test_every_v1_url_with_an_id_is_covered():
    with_ids = {p.name for p in v1 if p.pattern.converters}  # type: ignore[attr-defined]
    assert with_ids == {
        "api-store-products",
        "api-store-invoices",
        "api-store-accounting-channels",
        "api-product",
        "api-invoice",
    }


@pytest.mark.parametrize(("pattern", "method"), list(_cases()))
def test_another_organizations_id_answers_404_like_a_missing_one(api, foreign_ids, pattern, method):
    kwargs = {name: foreign_ids[name] for name in pattern.pattern.converters}
    missing = {name: 987654321 for name in kwargs}
    body = {"sku": "NEW", "name": "New", "unit_price": "1", "customer_name": "Changed"}

    foreign = getattr(api, method)(reverse(pattern.name, kwargs=kwargs), body, format="json")
    absent = getattr(api, method)(reverse(pattern.name, kwargs=missing), body, format="json")

    assert foreign.status_code == 404
    assert absent.status_code == 404
    assert foreign.json() == absent.json() == {"detail": NOT_FOUND[next(iter(kwargs))]}
    # Nothing of the other organization changed.
    assert list(Product.objects.values_list("sku", "name")) == [("THEIRS", "Theirs")]
    assert list(Invoice.objects.values_list("number", "customer_name")) == [("THEIRS-1", "Theirs")]

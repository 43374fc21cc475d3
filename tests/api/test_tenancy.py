"""Every Billing API URL answers 404 to another organization's ids, exactly as to missing ones."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounting.sync.models import DailySummary, Reconciliation
from stores.models import Invoice, Payout, Product
from tests.factories import AccountingChannelFactory, InvoiceFactory, ProductFactory

pytestmark = pytest.mark.django_db

# The object named in the 404 is the first one looked up: the store of a store URL.
NOT_FOUND = {
    "store_id": "No store found.",
    "product_id": "No product found.",
    "invoice_id": "No invoice found.",
    "payout_id": "No payout found.",
    "summary_id": "No daily summary found.",
    "reconciliation_id": "No reconciliation found.",
}


def _methods(pattern: URLPattern) -> list[str]:
    view_class = pattern.callback.view_class  # type: ignore[attr-defined]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]


@pytest.fixture
def foreign_ids(other_store):
    product = ProductFactory.create(store=other_store, sku="THEIRS", name="Theirs")
    invoice = InvoiceFactory.create(store=other_store, number="THEIRS-1", customer_name="Theirs")
    payout = Payout.objects.create(
        store=other_store, reference="po_theirs", method="card", currency=other_store.currency,
        date=datetime.date(2026, 11, 2), gross=Decimal("1.00"), fees=Decimal("0.00"), net=Decimal("1.00"),
    )  # fmt: skip
    channel = AccountingChannelFactory.create(store=other_store)
    summary = DailySummary.objects.create(
        channel=channel, day=datetime.date(2026, 11, 2), currency=other_store.currency, tax_mode="exclusive",
        number="DAY-20261102-EUR",
    )  # fmt: skip
    reconciliation = Reconciliation.objects.create(
        channel=channel, date_from=datetime.date(2026, 11, 1), date_to=datetime.date(2026, 11, 30)
    )
    return {"store_id": other_store.pk, "product_id": product.pk, "invoice_id": invoice.pk, "payout_id": payout.pk,
            "summary_id": summary.pk, "reconciliation_id": reconciliation.pk}  # fmt: skip


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


# Every URL of the whole site under api/ that takes an id, found from the root URLconf.
API_URLS_WITH_IDS = [
    (route, p) for route, p in _walk(get_resolver().url_patterns) if route.startswith("api/") and "<" in route
]


def _cases():
    for route, pattern in API_URLS_WITH_IDS:
        for method in _methods(pattern):
            yield pytest.param(pattern, method, id=f"{method.upper()} {route}")


def test_every_api_url_with_an_id_is_covered():
    assert {re.sub(r"<\w+:(\w+)>", r"{\1}", route) for route, _ in API_URLS_WITH_IDS} == {
        "api/v1/stores/{store_id}/products/",
        "api/v1/stores/{store_id}/invoices/",
        "api/v1/stores/{store_id}/accounting-channels/",
        "api/v1/products/{product_id}/",
        "api/v1/invoices/{invoice_id}/",
        "api/v1/invoices/{invoice_id}/payments/",
        "api/v1/invoices/{invoice_id}/refunds/",
        "api/v1/stores/{store_id}/payouts/",
        "api/v1/payouts/{payout_id}/",
        "api/v1/summaries/{summary_id}/",
        "api/v1/stores/{store_id}/reconciliation/",
        "api/v1/reconciliations/{reconciliation_id}/",
    }
    # Only ids the foreign_ids fixture provides, so every case below is a real other-org id.
    assert {name for _, p in API_URLS_WITH_IDS for name in p.pattern.converters} == {
        "store_id",
        "product_id",
        "invoice_id",
        "payout_id",
        "summary_id",
        "reconciliation_id",
    }
    assert {p.name for _, p in API_URLS_WITH_IDS} == {
        "api-store-products",
        "api-store-invoices",
        "api-store-accounting-channels",
        "api-product",
        "api-invoice",
        "api-invoice-payments",
        "api-invoice-refunds",
        "api-store-payouts",
        "api-payout",
        "api-summary",
        "api-store-reconciliation",
        "api-reconciliation",
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

"""Billing API list filters: find by number or SKU, fetch what changed since a time."""

from __future__ import annotations

import datetime

import pytest

from stores.models import Invoice, InvoiceStatus, Product
from tests.factories import InvoiceFactory, ProductFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)


def test_invoices_by_number_status_and_update_time(api, store):
    old = InvoiceFactory.create(store=store, number="OLD-1", status=InvoiceStatus.PAID)
    new = InvoiceFactory.create(store=store, number="NEW-1", status=InvoiceStatus.PAID)
    draft = InvoiceFactory.create(store=store, number="DRAFT-1", status=InvoiceStatus.DRAFT)
    Invoice.objects.filter(pk=old.pk).update(updated_at=T0 - datetime.timedelta(days=1))
    Invoice.objects.filter(pk__in=[new.pk, draft.pk]).update(updated_at=T0)
    url = f"/api/v1/stores/{store.pk}/invoices/"

    def numbers(query: str) -> list[str]:
        response = api.get(url + query)
        assert response.status_code == 200
        return sorted(i["number"] for i in response.json()["results"])

    assert numbers("?number=NEW-1") == ["NEW-1"]
    assert numbers("?status=paid") == ["NEW-1", "OLD-1"]
    assert numbers("?updated_since=2026-11-01T12:00:00Z") == ["DRAFT-1", "NEW-1"]
    assert numbers("?status=paid&updated_since=2026-11-01T12:00:00%2B00:00") == ["NEW-1"]
    assert numbers("?number=NOPE") == []


def test_products_by_sku_and_update_time(api, store):
    kept = ProductFactory.create(store=store, sku="A-1")
    ProductFactory.create(store=store, sku="B-1")
    Product.objects.filter(sku="B-1").update(updated_at=T0 - datetime.timedelta(seconds=1))
    Product.objects.filter(pk=kept.pk).update(updated_at=T0)
    url = f"/api/v1/stores/{store.pk}/products/"
    assert [p["sku"] for p in api.get(url + "?sku=B-1").json()["results"]] == ["B-1"]
    assert [p["sku"] for p in api.get(url + "?updated_since=2026-11-01T12:00:00Z").json()["results"]] == ["A-1"]


@pytest.mark.parametrize(
    ("path", "query", "errors"),
    [
        ("invoices", "?status=settled", {"status": ['"settled" is not a valid choice.']}),
        (
            "invoices",
            "?updated_since=yesterday",
            {
                "updated_since": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        ("products", "?sku=" + "x" * 65, {"sku": ["Ensure this field has no more than 64 characters."]}),
    ],
)
def test_bad_filter_answers_400(api, store, path, query, errors):
    response = api.get(f"/api/v1/stores/{store.pk}/{path}/{query}")
    assert response.status_code == 400
    assert response.json() == errors

"""Products through the Billing API: list, create, read, change; bad input answers 400."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stores.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_list_products_of_the_store(api, store, other_store):
    main = ProductFactory.create(store=store, sku="TEE", name="T-shirt", unit_price=Decimal("15.5"))
    variant = ProductFactory.create(store=store, sku="TEE-L", name="T-shirt L", unit_price=Decimal("16"), parent=main)
    ProductFactory.create(store=other_store, sku="OTHER")

    response = api.get(f"/api/v1/stores/{store.pk}/products/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(p["id"], p["sku"], p["name"], p["unit_price"], p["parent"]) for p in body["results"]] == [
        (main.pk, "TEE", "T-shirt", "15.5000", None),
        (variant.pk, "TEE-L", "T-shirt L", "16.0000", main.pk),
    ]


def test_create_product(api, store):
    response = api.post(
        f"/api/v1/stores/{store.pk}/products/",
        {"sku": "MUG-1", "name": "Mug", "description": "Stoneware", "unit_price": "8.25"},
        format="json",
    )

    assert response.status_code == 201
    product = Product.objects.get(store=store, sku="MUG-1")
    assert response.json()["id"] == product.pk
    assert (product.name, product.description, product.unit_price, product.parent) == (
        "Mug",
        "Stoneware",
        Decimal("8.25"),
        None,
    )


def test_create_variant_of_a_main_product(api, store):
    main = ProductFactory.create(store=store, sku="TEE")
    response = api.post(
        f"/api/v1/stores/{store.pk}/products/",
        {"sku": "TEE-S", "name": "T-shirt S", "unit_price": "15", "parent": main.pk},
        format="json",
    )
    assert response.status_code == 201
    assert Product.objects.get(sku="TEE-S").parent == main


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"sku": "DUP", "name": "Again", "unit_price": "1"},
            {"sku": ["This store already has a product with SKU DUP."]},
        ),
        (
            {"sku": "NEG", "name": "Neg", "unit_price": "-1"},
            {"unit_price": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"sku": "", "name": "", "unit_price": "abc"},
            {
                "sku": ["This field may not be blank."],
                "name": ["This field may not be blank."],
                "unit_price": ["A valid number is required."],
            },
        ),
        ({"name": "No sku", "unit_price": "1"}, {"sku": ["This field is required."]}),
        (
            {"sku": "ORPHAN", "name": "Orphan", "unit_price": "1", "parent": 999999},
            {"parent": ["This store has no product 999999."]},
        ),
    ],
)
def test_bad_product_answers_400_and_creates_nothing(api, store, payload, errors):
    ProductFactory.create(store=store, sku="DUP")
    response = api.post(f"/api/v1/stores/{store.pk}/products/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert list(Product.objects.filter(store=store).values_list("sku", flat=True)) == ["DUP"]


def test_same_sku_is_fine_in_another_store(api, store, organization):
    from tests.factories import StoreFactory

    ProductFactory.create(store=store, sku="SHARED")
    second = StoreFactory.create(organization=organization)
    response = api.post(
        f"/api/v1/stores/{second.pk}/products/", {"sku": "SHARED", "name": "X", "unit_price": "1"}, format="json"
    )
    assert response.status_code == 201


def test_parent_from_another_store_is_refused(api, store, other_store):
    foreign = ProductFactory.create(store=other_store, sku="FOREIGN")
    response = api.post(
        f"/api/v1/stores/{store.pk}/products/",
        {"sku": "V", "name": "V", "unit_price": "1", "parent": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"parent": [f"This store has no product {foreign.pk}."]}


def test_read_and_patch_product(api, store):
    product = ProductFactory.create(store=store, sku="CAP", name="Cap", unit_price=Decimal("9"))
    assert api.get(f"/api/v1/products/{product.pk}/").json()["name"] == "Cap"

    response = api.patch(f"/api/v1/products/{product.pk}/", {"unit_price": "11.40"}, format="json")

    assert response.status_code == 200
    assert response.json()["unit_price"] == "11.4000"
    product.refresh_from_db()
    assert (product.sku, product.name, product.unit_price) == ("CAP", "Cap", Decimal("11.40"))


def test_patch_to_a_taken_sku_answers_400(api, store):
    ProductFactory.create(store=store, sku="TAKEN")
    product = ProductFactory.create(store=store, sku="FREE")
    response = api.patch(f"/api/v1/products/{product.pk}/", {"sku": "TAKEN"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"sku": ["This store already has a product with SKU TAKEN."]}
    product.refresh_from_db()
    assert product.sku == "FREE"


def test_patch_keeping_own_sku_is_fine(api, store):
    product = ProductFactory.create(store=store, sku="SAME")
    response = api.patch(f"/api/v1/products/{product.pk}/", {"sku": "SAME", "name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"


def test_product_cannot_become_its_own_variant(api, store):
    product = ProductFactory.create(store=store, sku="SELF")
    response = api.patch(f"/api/v1/products/{product.pk}/", {"parent": product.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"parent": ["A product cannot be its own variant, nor a main product a variant."]}

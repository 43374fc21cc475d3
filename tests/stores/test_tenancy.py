"""Every store, product and invoice page answers 404 to a member of another organization."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

import stores.urls
from tests.factories import InvoiceFactory, ProductFactory, StoreFactory

# Pages that take no store id: they only ever show the current organization's stores.
UNSCOPED = {"list", "create"}


def _store_url_names() -> set[str]:
    return {p.name for p in stores.urls.urlpatterns if isinstance(p, URLPattern) and p.name} - UNSCOPED


def _urls_for(names: set[str], *, store, product, invoice) -> dict[str, str]:
    kwargs_by_param = {"store_id": store.pk, "product_id": product.pk, "invoice_id": invoice.pk}
    urls = {}
    for name in names:
        pattern = next(p for p in stores.urls.urlpatterns if p.name == name)
        params = pattern.pattern.converters.keys()
        urls[name] = reverse(f"stores:{name}", kwargs={k: kwargs_by_param[k] for k in params})
    return urls


@pytest.fixture
def their_objects(organization):
    store = StoreFactory.create(organization=organization, name="Their Shop")
    parent = ProductFactory.create(store=store)
    return {
        "store": store,
        "product": ProductFactory.create(store=store, parent=parent),
        "invoice": InvoiceFactory.create(store=store),
    }


def test_every_store_page_url_is_checked():
    # If a page is added to stores/urls.py it appears here, so the 404 tests below cover it.
    assert _store_url_names() == {
        "detail",
        "products",
        "product-create",
        "product-edit",
        "invoices",
        "invoice-create",
        "invoice-detail",
        "invoice-payment-create",
        "invoice-refund-create",
        "payouts",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_organizations_store_pages_answer_404(outsider_client, their_objects, method):
    urls = _urls_for(_store_url_names(), **their_objects)
    urls["accounting:store-channels"] = reverse("accounting:store-channels", args=[their_objects["store"].pk])
    for name, url in urls.items():
        response = getattr(outsider_client, method)(url, {"name": "Stolen", "sku": "X", "number": "X"})
        assert response.status_code == 404, f"{method.upper()} {name} {url} answered {response.status_code}"
    their_objects["store"].refresh_from_db()
    assert their_objects["store"].name == "Their Shop"
    assert their_objects["store"].products.count() == 2
    assert their_objects["store"].invoices.count() == 1
    assert their_objects["invoice"].payments.count() == their_objects["invoice"].refunds.count() == 0


@pytest.mark.django_db
def test_their_product_and_invoice_under_my_store_answer_404(outsider_client, their_objects):
    from organizations.models import Membership

    mine = StoreFactory.create(organization=Membership.objects.get(user__username="outsider").organization)
    product, invoice = their_objects["product"], their_objects["invoice"]
    assert outsider_client.get(reverse("stores:product-edit", args=[mine.pk, product.pk])).status_code == 404
    assert outsider_client.get(reverse("stores:invoice-detail", args=[mine.pk, invoice.pk])).status_code == 404


@pytest.mark.django_db
def test_a_missing_store_answers_404_like_another_organizations(member_client):
    assert member_client.get(reverse("stores:detail", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_store_list_shows_only_the_current_organizations_stores(member_client, organization):
    StoreFactory.create(organization=organization, name="Mine")
    StoreFactory.create(name="Someone Else's")
    response = member_client.get(reverse("stores:list"))
    assert [s.name for s in response.context["stores"]] == ["Mine"]
    assert "Someone Else" not in response.content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, their_objects):
    url = reverse("stores:detail", args=[their_objects["store"].pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"

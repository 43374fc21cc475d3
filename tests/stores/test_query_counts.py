"""List pages cost a constant number of SQL queries, however long the list.

Each count below is: session + user + current membership (middleware) + the header's
organization switcher + the request's savepoint and its release (ATOMIC_REQUESTS), then the
page's own queries (listed per test). A first request settles the session beforehand.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounting.models import ConnectionState
from tests.factories import AccountingChannelFactory, InvoiceFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db

REQUEST_OVERHEAD = 5  # session, user, membership, switcher's memberships, open alerts (banner)


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("stores", [1, 40])
def test_store_list_queries_do_not_grow_with_stores_or_channels(
    member_client, organization, django_assert_num_queries, stores
):
    for n in range(stores):
        store = StoreFactory.create(organization=organization)
        AccountingChannelFactory.create(store=store, connection_state=ConnectionState.CONNECTED, is_active=n % 2 == 0)
        AccountingChannelFactory.create(store=store)
    _get(member_client, reverse("stores:list"))  # settles the session (a write, once per session)
    # count, stores of the page, their channels (one prefetch)
    with django_assert_num_queries(REQUEST_OVERHEAD + 3):
        response = _get(member_client, reverse("stores:list"))
    assert len(response.context["stores"]) == min(stores, 25)


@pytest.mark.parametrize("products", [1, 40])
def test_product_list_queries_do_not_grow(member_client, organization, django_assert_num_queries, products):
    store = StoreFactory.create(organization=organization)
    main = ProductFactory.create(store=store)
    for _ in range(products):
        ProductFactory.create(store=store, parent=main)
    _get(member_client, reverse("stores:list"))  # settles the session (a write, once per session)
    # store, count, products with main product and variant counts, their sync badges
    with django_assert_num_queries(REQUEST_OVERHEAD + 4):
        response = _get(member_client, reverse("stores:products", args=[store.pk]))
    assert len(response.context["products"]) == min(products + 1, 25)


@pytest.mark.parametrize("invoices", [1, 40])
def test_invoice_list_queries_do_not_grow(member_client, organization, django_assert_num_queries, invoices):
    store = StoreFactory.create(organization=organization)
    for _ in range(invoices):
        InvoiceFactory.create(store=store, lines=2)
    _get(member_client, reverse("stores:list"))  # settles the session (a write, once per session)
    # store, count, invoices, their sync badges
    with django_assert_num_queries(REQUEST_OVERHEAD + 4):
        response = _get(member_client, reverse("stores:invoices", args=[store.pk]))
    assert len(response.context["invoices"]) == min(invoices, 25)


@pytest.mark.parametrize("lines", [1, 30])
def test_invoice_detail_queries_do_not_grow_with_lines(member_client, organization, django_assert_num_queries, lines):
    store = StoreFactory.create(organization=organization)
    product = ProductFactory.create(store=store)
    invoice = InvoiceFactory.create(store=store, lines=lines)
    invoice.lines.update(product=product)
    _get(member_client, reverse("stores:list"))  # settles the session (a write, once per session)
    # store, invoice, its lines, their products, its payments, its refunds, its sync rows (none: no channel)
    with django_assert_num_queries(REQUEST_OVERHEAD + 7):
        response = _get(member_client, reverse("stores:invoice-detail", args=[store.pk, invoice.pk]))
    assert len(response.context["lines"]) == lines


@pytest.mark.parametrize("members", [1, 30])
def test_member_list_queries_do_not_grow(client, organization, django_assert_num_queries, members):
    from organizations.models import Role
    from tests.factories import MembershipFactory

    owner = MembershipFactory.create(organization=organization, role=Role.OWNER).user
    for _ in range(members):
        MembershipFactory.create(organization=organization)
    client.force_login(owner)
    _get(client, reverse("stores:list"))  # settles the session (a write, once per session)
    # members with their users
    with django_assert_num_queries(REQUEST_OVERHEAD + 1):
        response = _get(client, reverse("organizations:members"))
    assert len(response.context["members"]) == members + 1

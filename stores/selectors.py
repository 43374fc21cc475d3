"""Tenant-scoped reads of stores, products and invoices (the only way views reach them)."""

from __future__ import annotations

from django.db.models import QuerySet

from channels_portal.tenancy import get_in_organization
from organizations.models import Organization

from .models import Invoice, Product, Store


def stores_of(*, organization: Organization | None) -> QuerySet[Store]:
    return Store.objects.filter(organization=organization)


def store_for_member(*, organization: Organization | None, store_id: object) -> Store:
    """Return the store `store_id` of `organization`; raise Http404 for any other."""
    return get_in_organization(Store.objects.all(), organization=organization, path="organization", pk=store_id)


def products_of(*, store: Store) -> QuerySet[Product]:
    return Product.objects.filter(store=store).select_related("parent")


def invoices_of(*, store: Store) -> QuerySet[Invoice]:
    return Invoice.objects.filter(store=store)


def product_for_member(*, organization: Organization | None, product_id: object) -> Product:
    return get_in_organization(
        Product.objects.select_related("store"), organization=organization, path="store__organization", pk=product_id
    )


def invoice_for_member(*, organization: Organization | None, invoice_id: object) -> Invoice:
    return get_in_organization(
        Invoice.objects.select_related("store").prefetch_related("lines__product"),
        organization=organization,
        path="store__organization",
        pk=invoice_id,
    )

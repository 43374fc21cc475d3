"""Tenant-scoped reads of stores, products and invoices (the only way views reach them)."""

from __future__ import annotations

from typing import cast

from django.db.models import Count, Model, Prefetch, QuerySet

from channels_portal.tenancy import get_in_organization
from organizations.models import Organization

from .models import Invoice, Payment, Product, Store


def stores_of(*, organization: Organization | None) -> QuerySet[Store]:
    """Return the stores of `organization` (none when no organization is selected)."""
    return Store.objects.filter(organization=organization)


def stores_for_list(*, organization: Organization | None) -> QuerySet[Store]:
    """Return the stores of `organization` with their accounting channels, for the store list.

    The channels come in one prefetch query, so the list costs the same whatever its length.
    Their encrypted columns are not loaded: the list needs none of them, and decrypting every
    channel's secret to show a badge would be needless exposure (and a 500 on one bad key).
    """
    channel_model = cast("type[Model]", Store._meta.get_field("accounting_channels").related_model)
    channels = channel_model._default_manager.defer("client_secret", "token_set")
    return stores_of(organization=organization).prefetch_related(Prefetch("accounting_channels", queryset=channels))


def store_for_member(*, organization: Organization | None, store_id: object) -> Store:
    """Return the store `store_id` of `organization`; raise Http404 for any other."""
    return get_in_organization(Store.objects.all(), organization=organization, path="organization", pk=store_id)


def products_of(*, store: Store) -> QuerySet[Product]:
    return Product.objects.filter(store=store).select_related("parent")


def products_for_list(*, store: Store) -> QuerySet[Product]:
    """Return the store's products with their main product and number of variants."""
    # Meta.ordering is dropped from GROUP BY queries, so order explicitly.
    return products_of(store=store).annotate(variant_count=Count("variants")).order_by("sku", "pk")


# What an invoice's page and API answer show with it: lines, payments, refunds and their lines.
INVOICE_DETAILS = ("lines__product", "payments", "refunds__lines")


def invoices_of(*, store: Store) -> QuerySet[Invoice]:
    return Invoice.objects.filter(store=store)


def product_of_store(*, store: Store, product_id: object) -> Product:
    """Return the product `product_id` of `store` (already tenant-checked); Http404 otherwise."""
    return get_in_organization(
        products_of(store=store), organization=store.organization_id, path="store__organization", pk=product_id
    )


def invoice_of_store(*, store: Store, invoice_id: object) -> Invoice:
    """Return the invoice `invoice_id` of `store` with its lines, payments and refunds; Http404 otherwise."""
    return get_in_organization(
        invoices_of(store=store).prefetch_related(
            *(d for d in INVOICE_DETAILS if d != "payments"),
            Prefetch("payments", queryset=Payment.objects.select_related("payout")),  # with the payout that settled it
            "refunds__lines__invoice_line",
        ),
        organization=store.organization_id,
        path="store__organization",
        pk=invoice_id,
    )


def product_for_member(*, organization: Organization | None, product_id: object) -> Product:
    return get_in_organization(
        Product.objects.select_related("store"), organization=organization, path="store__organization", pk=product_id
    )


def invoice_for_member(*, organization: Organization | None, invoice_id: object) -> Invoice:
    return get_in_organization(
        Invoice.objects.select_related("store").prefetch_related(*INVOICE_DETAILS),
        organization=organization,
        path="store__organization",
        pk=invoice_id,
    )

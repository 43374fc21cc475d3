"""Query-string filters of the Billing API lists, validated like a body (bad values answer 400).

A store system can find what it sent before (by number or SKU) and fetch what changed since
its last poll (`updated_since`), e.g. invoices marked paid from Xero.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from stores.models import Invoice, InvoiceStatus, Product


class InvoiceFilters(serializers.Serializer):
    number = serializers.CharField(required=False, max_length=50, help_text="Exact invoice number.")
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only invoices changed at or after this time (ISO 8601)."
    )


class ProductFilters(serializers.Serializer):
    sku = serializers.CharField(required=False, max_length=64, help_text="Exact SKU.")
    updated_since = serializers.DateTimeField(
        required=False, help_text="Only products changed at or after this time (ISO 8601)."
    )


def _validated(filters: type[serializers.Serializer], params: Any) -> dict[str, Any]:
    data = filters(data={name: params[name] for name in filters().fields if name in params})
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def filter_invoices(queryset: QuerySet[Invoice], *, params: Any) -> QuerySet[Invoice]:
    """Return `queryset` narrowed by the validated query parameters `params`."""
    wanted = _validated(InvoiceFilters, params)
    if "updated_since" in wanted:
        wanted["updated_at__gte"] = wanted.pop("updated_since")
    return queryset.filter(**wanted)


def filter_products(queryset: QuerySet[Product], *, params: Any) -> QuerySet[Product]:
    """Return `queryset` narrowed by the validated query parameters `params`."""
    wanted = _validated(ProductFilters, params)
    if "updated_since" in wanted:
        wanted["updated_at__gte"] = wanted.pop("updated_since")
    return queryset.filter(**wanted)

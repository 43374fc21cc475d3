"""Writes of stores, products and invoices. Every write runs in one transaction, so whatever
listens to it (the sync ledger) commits or rolls back with it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from organizations.models import Organization

from .models import Invoice, InvoiceLine, Product, Store
from .money import amounts_too_large

LINE_FIELDS = ("product", "description", "quantity", "unit_price", "tax_rate", "discount_rate")


@transaction.atomic
def store_create(*, organization: Organization, name: str, platform: str, currency: str) -> Store:
    """Create a store of `organization`."""
    store = Store(organization=organization, name=name, platform=platform, currency=currency)
    store.full_clean()
    store.save()
    return store


@transaction.atomic
def store_update(*, store: Store, **fields: Any) -> Store:
    """Change a store's details (name, platform, currency)."""
    for name, value in fields.items():
        setattr(store, name, value)
    store.full_clean()
    store.save()
    return store


@transaction.atomic
def product_create(*, store: Store, **fields: Any) -> Product:
    product = Product(store=store, **fields)
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def product_update(*, product: Product, **fields: Any) -> Product:
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def invoice_create(*, store: Store, lines: Iterable[Mapping[str, Any]], **fields: Any) -> Invoice:
    """Create an invoice with its lines and totals in one transaction."""
    fields.setdefault("currency", store.currency)
    invoice = Invoice(store=store, **fields)
    invoice.full_clean()
    invoice.save()
    _replace_lines(invoice=invoice, lines=lines)
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice, lines: Iterable[Mapping[str, Any]] | None = None, **fields: Any) -> Invoice:
    """Change an invoice (and, when given, replace its lines), keeping totals true."""
    for name, value in fields.items():
        setattr(invoice, name, value)
    invoice.full_clean()
    invoice.save()
    if lines is not None:
        _replace_lines(invoice=invoice, lines=lines)
    return invoice


def _replace_lines(*, invoice: Invoice, lines: Iterable[Mapping[str, Any]]) -> None:
    invoice.lines.all().delete()
    built = []
    for position, data in enumerate(lines):
        line = InvoiceLine(invoice=invoice, position=position, **{k: v for k, v in data.items() if k in LINE_FIELDS})
        line.full_clean(exclude=["invoice"])
        built.append(line)
    too_large = amounts_too_large(line.amounts for line in built)
    if too_large:
        raise ValidationError({"lines": too_large})  # the transaction rolls back: nothing saved
    for line in built:
        line.save()
    invoice.recalculate_totals()

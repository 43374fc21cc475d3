"""Writes of stores, products and invoices (payments and refunds: `stores.payments`). Every write
runs in one transaction, so whatever listens to it (the sync ledger) commits or rolls back with it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from organizations.models import Organization

from .models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Product,
    Store,
)
from .money import ZERO, amounts_too_large, invoice_totals

LINES_FIXED = "This invoice has payments or refunds: its lines and tax mode can no longer change."
LINE_FIELDS = ("kind", "product", "description", "quantity", "unit_price", "tax_rate", "discount_rate")


@transaction.atomic
def store_create(
    *, organization: Organization, name: str, platform: str, currency: str, time_zone: str = "UTC"
) -> Store:
    """Create a store of `organization` (its days in `time_zone`)."""
    store = Store(organization=organization, name=name, platform=platform, currency=currency, time_zone=time_zone)
    store.full_clean()
    store.save()
    return store


@transaction.atomic
def store_update(*, store: Store, **fields: Any) -> Store:
    """Change a store's details (name, platform, currency, time zone)."""
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
def invoice_create(*, store: Store, lines: Iterable[Mapping[str, Any] | InvoiceLine], **fields: Any) -> Invoice:
    """Create an invoice with its lines and totals in one transaction.

    Refused (ValidationError, nothing saved) when a field or line breaks a rule: see
    `Invoice.clean`, `InvoiceLine.clean` and `invoice_lines_check`."""
    fields.setdefault("currency", store.currency)
    invoice = Invoice(store=store, **fields)
    line_objects = invoice_lines_check(invoice=invoice, lines=lines, invoice_errors=_invoice_errors(invoice))
    invoice.save()
    _replace_lines(invoice=invoice, lines=line_objects)
    return invoice


@transaction.atomic
def invoice_update(
    *, invoice: Invoice, lines: Iterable[Mapping[str, Any] | InvoiceLine] | None = None, **fields: Any
) -> Invoice:
    """Change an invoice (and, when given, replace its lines), keeping totals true.

    A paid or void invoice cannot change; setting the status to void voids it (`invoice_void`);
    once payments or refunds are recorded, the lines are fixed."""
    invoice = invoice_locked(invoice)
    void = fields.get("status") == InvoiceStatus.VOID and invoice.status != InvoiceStatus.VOID
    if void:
        fields["status"] = invoice.status  # voided below, once every other change is valid
    if lines is None and fields.get("tax_mode", invoice.tax_mode) != invoice.tax_mode:
        lines = list(invoice.lines.all())  # the same lines, recomputed in the new tax mode
    for name, value in fields.items():
        setattr(invoice, name, value)
    errors = _invoice_errors(invoice)
    if lines is not None and invoice.has_money_movements and not errors:
        errors["lines"] = [LINES_FIXED]
    line_objects = None
    if lines is not None:
        line_objects = invoice_lines_check(invoice=invoice, lines=lines, invoice_errors=errors)
    elif errors:
        raise ValidationError(errors)
    invoice.save()
    if line_objects is not None:
        _replace_lines(invoice=invoice, lines=line_objects)
    if void:
        invoice = invoice_void(invoice=invoice)
    return invoice


def _invoice_errors(invoice: Invoice) -> dict[str, list[str]]:
    try:
        invoice.full_clean()
    except ValidationError as error:
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {}


def invoice_lines_check(
    *,
    invoice: Invoice,
    lines: Iterable[Mapping[str, Any] | InvoiceLine],
    invoice_errors: Mapping[str, list[str]] | None = None,
) -> list[InvoiceLine]:
    """Return the lines `lines` would be on `invoice`, unsaved, or raise ValidationError (with
    `invoice_errors` too): at least one line, each line valid for its kind, a total not below zero.

    Errors of line N (0-based) are under "lines" as "Line N+1: <field>: <message>"."""
    errors = {name: list(messages) for name, messages in (invoice_errors or {}).items()}
    built: list[InvoiceLine] = []
    for index, data in enumerate(lines):
        if isinstance(data, InvoiceLine):
            line = InvoiceLine(invoice=invoice, **{name: getattr(data, name) for name in LINE_FIELDS})
        else:
            line = InvoiceLine(invoice=invoice, **{k: v for k, v in data.items() if k in LINE_FIELDS})
        line.position = index
        try:
            line.full_clean(exclude=["invoice"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                label = "" if field == "__all__" else f"{_line_field_label(field)}: "
                errors.setdefault("lines", []).extend(f"Line {index + 1}: {label}{m}" for m in messages)
        built.append(line)
    if not built:
        errors.setdefault("lines", []).append("An invoice needs at least one line.")
    elif "lines" not in errors:
        too_large = amounts_too_large(line.amounts for line in built)
        if too_large:  # passes every field's own limit, yet does not fit the amount columns
            errors.setdefault("lines", []).extend(too_large)
        elif invoice_totals(line.amounts for line in built).total < ZERO:
            errors.setdefault("lines", []).append("The invoice total cannot be below zero.")
    if errors:
        raise ValidationError(errors)
    return built


def _line_field_label(name: str) -> str:
    return str(getattr(InvoiceLine._meta.get_field(name), "verbose_name", name))


def _replace_lines(*, invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    invoice.lines.all().delete()
    for position, line in enumerate(lines):
        line.pk = None
        line.invoice = invoice
        line.position = position
        line.save()
    invoice.recalculate_totals()


def invoice_locked(invoice: Invoice) -> Invoice:
    """Return `invoice` re-read with its row locked until the transaction ends, so the checks of
    payments, refunds and changes see the amounts they update."""
    return Invoice.objects.select_for_update().select_related("store").get(pk=invoice.pk)


def invoice_status_settle(invoice: Invoice) -> list[str]:
    """Set the status that the amounts call for; return the fields that changed."""
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return []
    covered = invoice.amount_paid > ZERO and invoice.amount_due <= ZERO
    if covered and invoice.status != InvoiceStatus.PAID:
        invoice.status, invoice.paid_at = InvoiceStatus.PAID, timezone.now()
        return ["status", "paid_at"]
    if not covered and invoice.status == InvoiceStatus.PAID:
        invoice.status, invoice.paid_at = InvoiceStatus.ISSUED, None
        return ["status", "paid_at"]
    return []


@transaction.atomic
def invoice_void(*, invoice: Invoice, when: datetime.datetime | None = None) -> Invoice:
    """Void `invoice` (paid ones too: the accounting side reverses their payments first)."""
    invoice = invoice_locked(invoice)
    if invoice.status == InvoiceStatus.VOID:
        raise ValidationError({"status": "This invoice is already void."})
    invoice.status, invoice.voided_at = InvoiceStatus.VOID, when or timezone.now()
    invoice.save(update_fields=["status", "voided_at", "updated_at"])
    return invoice

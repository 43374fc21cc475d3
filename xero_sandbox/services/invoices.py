"""Create and update invoices in batches, with Xero's validation, status rules and per-line tax rounding."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from xero_sandbox.models import Invoice, LineItem, Organisation
from xero_sandbox.parse import text

from .documents import (
    CREATE_STATUSES,
    LINE_AMOUNT_TYPES,
    DocumentBatch,
    currency_and_dates_apply,
    currency_rate_apply,
    lines_of,
    lock_errors,
    stated_total_errors,
    totals_apply,
    update_errors,
    uuids,
)
from .webhooks import invoice_events_send

TYPES = {"ACCREC", "ACCPAY"}
# Xero-Net#236 and many integrations quote this wording.
NOT_UNIQUE = "Invoice # must be unique."
NEGATIVE = "The invoice total cannot be negative. Use a credit note (ACCRECCREDIT) instead."


@dataclass
class InvoiceResult:
    """One element of a batch: the saved invoice, or the submitted data with its errors."""

    submitted: dict[str, Any]
    invoice: Invoice | None = None
    errors: list[str] = field(default_factory=list)
    creating: bool = True


@dataclass
class _Draft:
    invoice: Invoice
    lines: list[LineItem]
    contact_name: str = ""


def _header_apply(
    batch: DocumentBatch, invoice: Invoice, raw: dict[str, Any], errors: list[str], *, creating: bool
) -> None:
    """Copy the header fields of `raw` onto `invoice`, collecting Xero's messages."""
    if creating or raw.get("Type"):
        invoice.type = text(raw.get("Type"))
        if not invoice.type:
            errors.append("Invoice Type must be specified")
        elif invoice.type not in TYPES:
            errors.append(f"Invoice Type '{invoice.type}' is not valid")
    if "Status" in raw or creating:
        status = text(raw.get("Status")) or "DRAFT"
        allowed = CREATE_STATUSES if creating else CREATE_STATUSES | {"DELETED", "VOIDED"}
        if status not in allowed:
            errors.append("Invoice not of valid status for creation" if creating else "Invoice status is not valid")
        invoice.status = status
    if "LineAmountTypes" in raw or creating:
        invoice.line_amount_types = text(raw.get("LineAmountTypes")) or "Exclusive"
        if invoice.line_amount_types not in LINE_AMOUNT_TYPES:
            errors.append(f"LineAmountTypes '{invoice.line_amount_types}' is not valid")
    for key, attribute in (("InvoiceNumber", "invoice_number"), ("Reference", "reference"), ("Url", "url")):
        if key in raw:
            setattr(invoice, attribute, text(raw.get(key)))
    if len(invoice.invoice_number) > 255:
        errors.append("Invoice Number must be no more than 255 characters long.")
    currency_and_dates_apply(batch, invoice, raw, errors, creating=creating)
    if "CurrencyRate" in raw:
        currency_rate_apply(batch, invoice, raw, errors)


def _draft_build(
    batch: DocumentBatch, raw: dict[str, Any], invoice: Invoice, *, creating: bool
) -> tuple[_Draft, list[str]]:
    errors: list[str] = []
    _header_apply(batch, invoice, raw, errors, creating=creating)
    new_contact = batch.contact_apply(invoice, raw, errors) if creating or "Contact" in raw else ""
    lines: list[LineItem] = []
    if creating or "LineItems" in raw:
        raw_lines = lines_of(raw)
        if not raw_lines and (creating or invoice.status != "DRAFT"):
            errors.append("One or more line items must be specified")
        lines = [
            batch.line_build(LineItem(position=i), r, document=invoice, errors=errors)  # type: ignore[misc]
            for i, r in enumerate(raw_lines)
        ]
        if not errors:
            totals_apply(invoice, lines)  # type: ignore[arg-type]
            errors.extend(stated_total_errors(invoice, raw))
            if invoice.type == "ACCREC" and invoice.total < 0:
                errors.append(NEGATIVE)
    return _Draft(invoice=invoice, lines=lines, contact_name=new_contact), errors


def _contacts_create(batch: DocumentBatch, drafts: list[_Draft]) -> None:
    for draft in drafts:
        if draft.contact_name:
            draft.invoice.contact = batch.contact_create(draft.contact_name)


def _insert(drafts: list[_Draft], results: dict[int, InvoiceResult]) -> None:
    """Insert new invoices in bulk; on a uniqueness race fall back to one savepoint per invoice."""
    if not drafts:
        return
    try:
        with transaction.atomic():
            Invoice.objects.bulk_create([d.invoice for d in drafts])
            _lines_insert(drafts)
        return
    except IntegrityError:
        pass
    for draft in drafts:
        draft.invoice.pk = None
        try:
            with transaction.atomic():
                draft.invoice.save(force_insert=True)
                _lines_insert([draft])
        except IntegrityError:
            result = next(r for r in results.values() if r.invoice is draft.invoice)
            result.invoice, result.errors = None, [NOT_UNIQUE]


def _lines_insert(drafts: list[_Draft]) -> None:
    for draft in drafts:
        for line in draft.lines:
            line.invoice = draft.invoice
    LineItem.objects.bulk_create([line for d in drafts for line in d.lines])


def _existing_for_update(organisation: Organisation, payloads: list[dict[str, Any]]) -> dict[str, Invoice]:
    """Return the invoices a POST names, keyed by InvoiceID and by ACCREC InvoiceNumber (one query)."""
    ids = uuids({text(p.get("InvoiceID")) for p in payloads if p.get("InvoiceID")})
    numbers = {text(p.get("InvoiceNumber")) for p in payloads if p.get("InvoiceNumber") and not p.get("InvoiceID")}
    found = Invoice.objects.select_for_update().filter(organisation=organisation)
    found = found.filter(invoice_id__in=ids) | found.filter(invoice_number__in=numbers, type="ACCREC")
    keyed: dict[str, Invoice] = {}
    for invoice in found.select_related("contact"):
        keyed[str(invoice.invoice_id)] = invoice
        if invoice.type == "ACCREC" and invoice.invoice_number:
            keyed[f"#{invoice.invoice_number}"] = invoice
    return keyed


def invoices_save(
    *, organisation: Organisation, payloads: list[Any], update: bool, unitdp: int = 2
) -> list[InvoiceResult]:
    """Create (PUT) or update-or-create (POST) a batch of invoices; return one result per element.

    Valid elements are written even when others fail, as Xero does. Run inside a transaction.
    """
    clean = [p if isinstance(p, dict) else {} for p in payloads]
    batch = DocumentBatch(organisation=organisation, payloads=clean, unitdp=unitdp)
    existing = _existing_for_update(organisation, clean) if update else {}
    numbers = {text(p.get("InvoiceNumber")) for p in clean}
    taken = set(
        Invoice.objects.filter(organisation=organisation, type="ACCREC", invoice_number__in=numbers).values_list(
            "invoice_number", flat=True
        )
    )
    results: dict[int, InvoiceResult] = {}
    new: list[_Draft] = []
    changed: list[_Draft] = []
    for index, raw in enumerate(clean):
        target = _target(existing, raw) if update else None
        if update and raw.get("InvoiceID") and target is None:
            missing = f"Invoice ID '{text(raw.get('InvoiceID'))}' could not be found"
            results[index] = InvoiceResult(raw, errors=[missing], creating=False)
            continue
        creating = target is None
        # Work on a copy: a failing element must leave the invoice as later elements will find it.
        invoice = _copy(target) if target is not None else Invoice(organisation=organisation)
        draft, errors = _draft_build(batch, raw, invoice, creating=creating)
        if target is not None:
            settled = target.amount_paid > 0 or target.amount_credited > 0
            errors = update_errors(target.status, invoice.status, raw, settled=settled, noun="Invoice") or errors
        errors = errors or lock_errors(organisation, target, invoice)
        if creating and invoice.type == "ACCREC" and invoice.invoice_number:
            if invoice.invoice_number in taken:
                errors.append(NOT_UNIQUE)
            taken.add(invoice.invoice_number)
        results[index] = InvoiceResult(raw, invoice=None if errors else invoice, errors=errors, creating=creating)
        if not errors:
            (new if creating else changed).append(draft)
            if not creating:
                existing.update({key: invoice for key, value in existing.items() if value is target})
    _contacts_create(batch, new + changed)
    unnumbered = [d.invoice for d in new if d.invoice.type == "ACCREC" and not d.invoice.invoice_number]
    _numbers_assign(organisation, unnumbered, taken=taken)
    _insert(new, results)
    _update(changed)
    invoice_events_send(
        organisation=organisation, created=[d.invoice for d in new], updated=[d.invoice for d in changed]
    )
    return [results[i] for i in range(len(clean))]


def _numbers_assign(organisation: Organisation, invoices: list[Invoice], *, taken: set[str]) -> None:
    """Number sales invoices sent without one, as Xero does (INV-0001, …), skipping numbers in use."""
    if not invoices:
        return
    # The row lock serialises numbering per organisation across concurrent requests.
    locked = Organisation.objects.select_for_update().only("next_invoice_number").get(pk=organisation.pk)
    counter = locked.next_invoice_number
    candidates = [f"INV-{n:04d}" for n in range(counter, counter + len(invoices) * 2 + 10)]
    used = taken | set(
        Invoice.objects.filter(organisation=organisation, type="ACCREC", invoice_number__in=candidates).values_list(
            "invoice_number", flat=True
        )
    )
    for invoice in invoices:
        while f"INV-{counter:04d}" in used:
            counter += 1
        invoice.invoice_number = f"INV-{counter:04d}"
        counter += 1
    Organisation.objects.filter(pk=organisation.pk).update(next_invoice_number=counter)


def _copy(invoice: Invoice) -> Invoice:
    duplicate = copy.copy(invoice)
    duplicate._state = copy.copy(invoice._state)
    return duplicate


def _target(existing: dict[str, Invoice], raw: dict[str, Any]) -> Invoice | None:
    if raw.get("InvoiceID"):
        return existing.get(text(raw.get("InvoiceID")).lower())
    if raw.get("InvoiceNumber") and text(raw.get("Type")) in {"", "ACCREC"}:
        return existing.get(f"#{text(raw.get('InvoiceNumber'))}")
    return None


def _update(drafts: list[_Draft]) -> None:
    for draft in drafts:
        draft.invoice.save()
        if draft.lines:
            draft.invoice.line_items.all().delete()
            _lines_insert([draft])

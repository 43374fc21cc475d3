"""The one way invoices and credit notes are saved (PUT creates, POST updates or creates), batch by
batch, each element its own result, as Xero does: what differs between the two is a `DocumentKind`
(its model, names, numbering and the header fields of its own), the rest is written once here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from xero_sandbox.models import Organisation
from xero_sandbox.parse import text
from xero_sandbox.services.documents import (
    CREATE_STATUSES,
    LINE_AMOUNT_TYPES,
    DocumentBatch,
    currency_and_dates_apply,
    lines_of,
    lock_errors,
    totals_apply,
    update_errors,
    uuids,
)

Header = Callable[[DocumentBatch, Any, dict[str, Any], list[str]], None]


@dataclass(frozen=True)
class DocumentKind:
    """What makes invoices and credit notes differ in how they are saved."""

    model: type[Any]  # Invoice, CreditNote
    line_model: type[Any]  # LineItem, CreditNoteLine
    noun: str  # "Invoice", "Credit Note" (in Xero's messages)
    id_key: str  # "InvoiceID"
    id_field: str  # "invoice_id"
    number_key: str  # "InvoiceNumber"
    number_field: str  # "invoice_number"
    line_fk: str  # the line's foreign key to its document: "invoice"
    sales_type: str  # "ACCREC": its numbers are unique and assigned when missing
    types: frozenset[str]
    number_prefix: str  # "INV" → INV-0001
    counter_field: str  # the organisation's next number: "next_invoice_number"
    not_unique: str
    type_errors: Callable[[str], str]  # the message for a missing ("") or unknown type
    status_errors: tuple[str, str]  # (at creation, at an update)
    extra_header: Header  # the kind's own header fields, read before the currency and dates (Url…)
    after_currency: Header  # … and after them (CurrencyRate, which needs the currency)
    checks: Callable[[Any, dict[str, Any]], list[str]]  # errors of a built document (totals, sign)
    settled: Callable[[Any], bool]  # money settled against it: its lines can no longer change


@dataclass
class DocumentResult:
    """One element of a batch: the saved document, or the submitted data with its errors."""

    submitted: dict[str, Any]
    document: Any | None = None
    errors: list[str] = field(default_factory=list)
    creating: bool = True


@dataclass
class _Draft:
    document: Any
    lines: list[Any]
    contact_name: str = ""


def _header_apply(
    kind: DocumentKind, batch: DocumentBatch, document: Any, raw: dict[str, Any], errors: list[str], *, creating: bool
) -> None:
    """Copy the header fields of `raw` onto `document`, collecting Xero's messages."""
    if creating or raw.get("Type"):
        document.type = text(raw.get("Type"))
        if document.type not in kind.types:
            errors.append(kind.type_errors(document.type))
    if "Status" in raw or creating:
        status = text(raw.get("Status")) or "DRAFT"
        allowed = CREATE_STATUSES if creating else CREATE_STATUSES | {"DELETED", "VOIDED"}
        if status not in allowed:
            errors.append(kind.status_errors[0] if creating else kind.status_errors[1])
        document.status = status
    if "LineAmountTypes" in raw or creating:
        document.line_amount_types = text(raw.get("LineAmountTypes")) or "Exclusive"
        if document.line_amount_types not in LINE_AMOUNT_TYPES:
            errors.append(f"LineAmountTypes '{document.line_amount_types}' is not valid")
    for key, attribute in ((kind.number_key, kind.number_field), ("Reference", "reference")):
        if key in raw:
            setattr(document, attribute, text(raw.get(key)))
    kind.extra_header(batch, document, raw, errors)
    currency_and_dates_apply(batch, document, raw, errors, creating=creating)
    kind.after_currency(batch, document, raw, errors)


def _draft_build(
    kind: DocumentKind, batch: DocumentBatch, raw: dict[str, Any], document: Any, *, creating: bool
) -> tuple[_Draft, list[str]]:
    errors: list[str] = []
    _header_apply(kind, batch, document, raw, errors, creating=creating)
    new_contact = batch.contact_apply(document, raw, errors) if creating or "Contact" in raw else ""
    lines: list[Any] = []
    if creating or "LineItems" in raw:
        raw_lines = lines_of(raw)
        if not raw_lines and (creating or document.status != "DRAFT"):
            errors.append("One or more line items must be specified")
        lines = [
            batch.line_build(kind.line_model(position=i), r, document=document, errors=errors)
            for i, r in enumerate(raw_lines)
        ]
        if not errors:
            totals_apply(document, lines)
            errors.extend(kind.checks(document, raw))
    return _Draft(document=document, lines=lines, contact_name=new_contact), errors


def _existing(kind: DocumentKind, organisation: Organisation, payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the documents a POST names, keyed by id and by sales number (one query)."""
    ids = uuids({text(p.get(kind.id_key)) for p in payloads if p.get(kind.id_key)})
    numbers = {text(p.get(kind.number_key)) for p in payloads if p.get(kind.number_key) and not p.get(kind.id_key)}
    found = kind.model.objects.select_for_update().filter(organisation=organisation)
    named = {f"{kind.number_field}__in": numbers, "type": kind.sales_type}
    found = found.filter(**{f"{kind.id_field}__in": ids}) | found.filter(**named)
    keyed: dict[str, Any] = {}
    for document in found.select_related("contact"):
        keyed[str(getattr(document, kind.id_field))] = document
        number = getattr(document, kind.number_field)
        if document.type == kind.sales_type and number:
            keyed[f"#{number}"] = document
    return keyed


def _target(kind: DocumentKind, existing: dict[str, Any], raw: dict[str, Any]) -> Any | None:
    if raw.get(kind.id_key):
        return existing.get(text(raw.get(kind.id_key)).lower())
    if raw.get(kind.number_key) and text(raw.get("Type")) in {"", kind.sales_type}:
        return existing.get(f"#{text(raw.get(kind.number_key))}")
    return None


def documents_save(
    kind: DocumentKind, *, organisation: Organisation, payloads: list[Any], update: bool, unitdp: int = 2
) -> tuple[list[DocumentResult], list[Any], list[Any]]:
    """Create (PUT) or update-or-create (POST) a batch; return one result per element and the
    documents created and updated. Valid elements are written even when others fail, as Xero
    does. Run inside a transaction."""
    clean = [p if isinstance(p, dict) else {} for p in payloads]
    batch = DocumentBatch(organisation=organisation, payloads=clean, unitdp=unitdp)
    existing = _existing(kind, organisation, clean) if update else {}
    numbers = {text(p.get(kind.number_key)) for p in clean}
    sales = kind.model.objects.filter(organisation=organisation, type=kind.sales_type)
    taken = set(sales.filter(**{f"{kind.number_field}__in": numbers}).values_list(kind.number_field, flat=True))
    results: list[DocumentResult] = []
    new: list[_Draft] = []
    changed: list[_Draft] = []
    for raw in clean:
        target = _target(kind, existing, raw) if update else None
        if update and raw.get(kind.id_key) and target is None:
            missing = f"{kind.noun} ID '{text(raw.get(kind.id_key))}' could not be found"
            results.append(DocumentResult(raw, errors=[missing], creating=False))
            continue
        creating = target is None
        # Work on a copy: a failing element must leave the document as later elements will find it.
        document = _copy(target) if target is not None else kind.model(organisation=organisation)
        draft, errors = _draft_build(kind, batch, raw, document, creating=creating)
        if target is not None:
            settled = kind.settled(target)
            errors = update_errors(target.status, document.status, raw, settled=settled, noun=kind.noun) or errors
        errors = errors or lock_errors(organisation, target, document)
        number = getattr(document, kind.number_field)
        if creating and document.type == kind.sales_type and number:
            errors += [kind.not_unique] if number in taken else []
            taken.add(number)
        results.append(DocumentResult(raw, None if errors else document, errors, creating=creating))
        if not errors:
            (new if creating else changed).append(draft)
            if not creating:
                existing.update({key: document for key, value in existing.items() if value is target})
    for draft in new + changed:
        if draft.contact_name:
            draft.document.contact = batch.contact_create(draft.contact_name)
    unnumbered = [
        d.document for d in new if d.document.type == kind.sales_type and not getattr(d.document, kind.number_field)
    ]
    _numbers_assign(kind, organisation, unnumbered, taken=taken)
    _insert(kind, new, results)
    for draft in changed:
        draft.document.save()
        if draft.lines:
            draft.document.line_items.all().delete()
            _lines_insert(kind, [draft])
    return results, [d.document for d in new], [d.document for d in changed]


def _numbers_assign(kind: DocumentKind, organisation: Organisation, documents: list[Any], *, taken: set[str]) -> None:
    """Number sales documents sent without one, as Xero does (INV-0001, CN-0001…), skipping numbers in use."""
    if not documents:
        return
    # The row lock serialises numbering per organisation across concurrent requests.
    locked = Organisation.objects.select_for_update().only(kind.counter_field).get(pk=organisation.pk)
    counter = getattr(locked, kind.counter_field)
    candidates = [f"{kind.number_prefix}-{n:04d}" for n in range(counter, counter + len(documents) * 2 + 10)]
    used = taken | set(
        kind.model.objects.filter(
            organisation=organisation, type=kind.sales_type, **{f"{kind.number_field}__in": candidates}
        ).values_list(kind.number_field, flat=True)
    )
    for document in documents:
        while f"{kind.number_prefix}-{counter:04d}" in used:
            counter += 1
        setattr(document, kind.number_field, f"{kind.number_prefix}-{counter:04d}")
        counter += 1
    Organisation.objects.filter(pk=organisation.pk).update(**{kind.counter_field: counter})


def _insert(kind: DocumentKind, drafts: list[_Draft], results: list[DocumentResult]) -> None:
    """Insert new documents in bulk; on a uniqueness race fall back to one savepoint each."""
    if not drafts:
        return
    try:
        with transaction.atomic():
            kind.model.objects.bulk_create([d.document for d in drafts])
            _lines_insert(kind, drafts)
        return
    except IntegrityError:
        pass
    for draft in drafts:
        draft.document.pk = None
        try:
            with transaction.atomic():
                draft.document.save(force_insert=True)
                _lines_insert(kind, [draft])
        except IntegrityError:
            result = next(r for r in results if r.document is draft.document)
            result.document, result.errors = None, [kind.not_unique]


def _lines_insert(kind: DocumentKind, drafts: list[_Draft]) -> None:
    for draft in drafts:
        for line in draft.lines:
            setattr(line, kind.line_fk, draft.document)
    kind.line_model.objects.bulk_create([line for d in drafts for line in d.lines])


def _copy(document: Any) -> Any:
    duplicate = copy.copy(document)
    duplicate._state = copy.copy(document._state)
    return duplicate

"""Create and update credit notes (PUT/POST /CreditNotes) with the invoice rules Xero applies to them too."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from xero_sandbox.models import CreditNote, CreditNoteLine, Organisation
from xero_sandbox.parse import text

from .documents import (
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

TYPES = {"ACCRECCREDIT", "ACCPAYCREDIT"}
NOT_UNIQUE = "Credit Note # must be unique."
NEGATIVE = "The credit note total cannot be negative."


@dataclass
class CreditNoteResult:
    submitted: dict[str, Any]
    credit_note: CreditNote | None = None
    errors: list[str] = field(default_factory=list)
    creating: bool = True


@dataclass
class _Draft:
    note: CreditNote
    lines: list[CreditNoteLine]
    contact_name: str = ""


def _header_apply(
    batch: DocumentBatch, note: CreditNote, raw: dict[str, Any], errors: list[str], *, creating: bool
) -> None:
    if creating or raw.get("Type"):
        note.type = text(raw.get("Type"))
        if note.type not in TYPES:
            errors.append(f"Credit Note Type '{note.type}' is not valid" if note.type else "Type must be specified")
    if "Status" in raw or creating:
        note.status = text(raw.get("Status")) or "DRAFT"
        allowed = CREATE_STATUSES if creating else CREATE_STATUSES | {"DELETED", "VOIDED"}
        if note.status not in allowed:
            errors.append("Credit Note not of valid status for creation" if creating else "Status is not valid")
    if "LineAmountTypes" in raw or creating:
        note.line_amount_types = text(raw.get("LineAmountTypes")) or "Exclusive"
        if note.line_amount_types not in LINE_AMOUNT_TYPES:
            errors.append(f"LineAmountTypes '{note.line_amount_types}' is not valid")
    for key, attribute in (("CreditNoteNumber", "credit_note_number"), ("Reference", "reference")):
        if key in raw:
            setattr(note, attribute, text(raw.get(key))[:255])
    currency_and_dates_apply(batch, note, raw, errors, creating=creating)


def _draft_build(
    batch: DocumentBatch, raw: dict[str, Any], note: CreditNote, *, creating: bool
) -> tuple[_Draft, list[str]]:
    errors: list[str] = []
    _header_apply(batch, note, raw, errors, creating=creating)
    new_contact = batch.contact_apply(note, raw, errors) if creating or "Contact" in raw else ""
    lines: list[CreditNoteLine] = []
    if creating or "LineItems" in raw:
        raw_lines = lines_of(raw)
        if not raw_lines and (creating or note.status != "DRAFT"):
            errors.append("One or more line items must be specified")
        lines = [
            batch.line_build(CreditNoteLine(position=i), r, document=note, errors=errors)  # type: ignore[misc]
            for i, r in enumerate(raw_lines)
        ]
        if not errors:
            totals_apply(note, lines)  # type: ignore[arg-type]
            if note.total < 0:
                errors.append(NEGATIVE)
    return _Draft(note=note, lines=lines, contact_name=new_contact), errors


def _existing(organisation: Organisation, payloads: list[dict[str, Any]]) -> dict[str, CreditNote]:
    ids = uuids({text(p.get("CreditNoteID")) for p in payloads if p.get("CreditNoteID")})
    numbers = {text(p.get("CreditNoteNumber")) for p in payloads if p.get("CreditNoteNumber")}
    found = CreditNote.objects.select_for_update().filter(organisation=organisation)
    found = found.filter(credit_note_id__in=ids) | found.filter(credit_note_number__in=numbers, type="ACCRECCREDIT")
    keyed: dict[str, CreditNote] = {}
    for note in found.select_related("contact"):
        keyed[str(note.credit_note_id)] = note
        if note.type == "ACCRECCREDIT" and note.credit_note_number:
            keyed[f"#{note.credit_note_number}"] = note
    return keyed


def _target(existing: dict[str, CreditNote], raw: dict[str, Any]) -> CreditNote | None:
    if raw.get("CreditNoteID"):
        return existing.get(text(raw.get("CreditNoteID")).lower())
    if raw.get("CreditNoteNumber") and text(raw.get("Type")) in {"", "ACCRECCREDIT"}:
        return existing.get(f"#{text(raw.get('CreditNoteNumber'))}")
    return None


def credit_notes_save(
    *, organisation: Organisation, payloads: list[Any], update: bool, unitdp: int = 2
) -> list[CreditNoteResult]:
    """Create (PUT) or update-or-create (POST) credit notes; one result per element. Run inside a transaction."""
    clean = [p if isinstance(p, dict) else {} for p in payloads]
    batch = DocumentBatch(organisation=organisation, payloads=clean, unitdp=unitdp)
    existing = _existing(organisation, clean) if update else {}
    numbers = {text(p.get("CreditNoteNumber")) for p in clean}
    taken = set(
        CreditNote.objects.filter(
            organisation=organisation, type="ACCRECCREDIT", credit_note_number__in=numbers
        ).values_list("credit_note_number", flat=True)
    )
    results: list[CreditNoteResult] = []
    new: list[_Draft] = []
    changed: list[_Draft] = []
    for raw in clean:
        target = _target(existing, raw) if update else None
        if update and raw.get("CreditNoteID") and target is None:
            missing = f"Credit Note ID '{text(raw.get('CreditNoteID'))}' could not be found"
            results.append(CreditNoteResult(raw, errors=[missing], creating=False))
            continue
        note = _copy(target) if target is not None else CreditNote(organisation=organisation)
        draft, errors = _draft_build(batch, raw, note, creating=target is None)
        if target is not None:
            settled = target.amount_allocated > 0
            errors = update_errors(target.status, note.status, raw, settled=settled, noun="Credit Note") or errors
        errors = errors or lock_errors(organisation, target, note)
        if target is None and note.type == "ACCRECCREDIT" and note.credit_note_number:
            errors += [NOT_UNIQUE] if note.credit_note_number in taken else []
            taken.add(note.credit_note_number)
        results.append(CreditNoteResult(raw, None if errors else note, errors, creating=target is None))
        if not errors:
            (new if target is None else changed).append(draft)
            existing.update({key: note for key, value in existing.items() if value is target})
    for draft in new + changed:
        if draft.contact_name:
            draft.note.contact = batch.contact_create(draft.contact_name)
    _numbers_assign(organisation, [d.note for d in new if d.note.type == "ACCRECCREDIT"], taken=taken)
    _insert(new, results)
    for draft in changed:
        draft.note.save()
        if draft.lines:
            draft.note.line_items.all().delete()
            _lines_insert([draft])
    return results


def _numbers_assign(organisation: Organisation, notes: list[CreditNote], *, taken: set[str]) -> None:
    """Number sales credit notes sent without one: CN-0001, CN-0002, … (numbers in use skipped)."""
    unnumbered = [n for n in notes if not n.credit_note_number]
    if not unnumbered:
        return
    locked = Organisation.objects.select_for_update().only("next_credit_note_number").get(pk=organisation.pk)
    counter = locked.next_credit_note_number
    used = taken | set(
        CreditNote.objects.filter(organisation=organisation, type="ACCRECCREDIT").values_list(
            "credit_note_number", flat=True
        )
    )
    for note in unnumbered:
        while f"CN-{counter:04d}" in used:
            counter += 1
        note.credit_note_number = f"CN-{counter:04d}"
        counter += 1
    Organisation.objects.filter(pk=organisation.pk).update(next_credit_note_number=counter)


def _insert(drafts: list[_Draft], results: list[CreditNoteResult]) -> None:
    """Insert one savepoint per credit note, so a uniqueness race fails only that element."""
    for draft in drafts:
        try:
            with transaction.atomic():
                draft.note.save(force_insert=True)
                _lines_insert([draft])
        except IntegrityError:
            result = next(r for r in results if r.credit_note is draft.note)
            result.credit_note, result.errors = None, [NOT_UNIQUE]


def _lines_insert(drafts: list[_Draft]) -> None:
    for draft in drafts:
        for line in draft.lines:
            line.credit_note = draft.note
    CreditNoteLine.objects.bulk_create([line for d in drafts for line in d.lines])


def _copy(note: CreditNote) -> CreditNote:
    duplicate = copy.copy(note)
    duplicate._state = copy.copy(note._state)
    return duplicate

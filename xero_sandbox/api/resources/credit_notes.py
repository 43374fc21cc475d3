"""CreditNotes (GET by id / where / paging, PUT create, POST update-or-create) and their Allocations (PUT)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from xero_sandbox.api.render_credit_notes import allocation_json, credit_note_json
from xero_sandbox.api.render_tracking import lines_with_tracking
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import Allocation, CreditNote, CreditNoteLine
from xero_sandbox.services.allocations import allocations_create
from xero_sandbox.services.credit_notes import CreditNoteResult, credit_notes_save
from xero_sandbox.services.documents import ZERO_ID

from .common import ApiError, Call, batch_answer, changed_since, filtered, ordered, paged

FIELDS = {
    "CreditNoteNumber": "credit_note_number",
    "CreditNoteID": "credit_note_id",
    "Reference": "reference",
    "Status": "status",
    "Type": "type",
    "Contact.ContactID": "contact__contact_id",
    "Contact.Name": "contact__name",
    "Date": "date",
    "Total": "total",
    "CurrencyCode": "currency_code",
}
ORDER_FIELDS = {"CreditNoteNumber": "credit_note_number", "Date": "date", "Total": "total", "Status": "status"}
ALLOCATIONS = "/Allocations"


def _with_related(notes: QuerySet[CreditNote]) -> QuerySet[CreditNote]:
    return notes.select_related("contact").prefetch_related(
        lines_with_tracking(CreditNoteLine), "allocations__invoice", "payments__account", "payments__credit_note"
    )


def _one(call: Call, ident: str, *, lock: bool = False) -> CreditNote:
    notes = CreditNote.objects.filter(organisation=call.organisation)
    try:
        notes = notes.filter(credit_note_id=uuid.UUID(ident))
    except ValueError:
        notes = notes.filter(credit_note_number=ident)
    found = (notes.select_for_update() if lock else _with_related(notes)).first()
    if found is None:
        raise ApiError(404, not_found())
    return found


def _get(call: Call) -> tuple[int, dict[str, Any]]:
    if call.ident:
        return 200, envelope("CreditNotes", [credit_note_json(_one(call, call.ident), unitdp=call.unitdp)])
    notes = changed_since(call, CreditNote.objects.filter(organisation=call.organisation))
    notes, pagination = paged(call, ordered(call, filtered(call, notes, FIELDS), ORDER_FIELDS))
    records = [credit_note_json(n, unitdp=call.unitdp) for n in _with_related(notes)]
    return 200, envelope("CreditNotes", records, **pagination)


def _as_failed(result: CreditNoteResult) -> dict[str, Any]:
    """A failed new credit note comes back with the all-zero CreditNoteID, like a failed invoice."""
    if result.errors and result.creating:
        return {**result.submitted, "CreditNoteID": ZERO_ID}
    return result.submitted


def _allocate(call: Call) -> tuple[int, dict[str, Any]]:
    if call.method != "PUT":
        detail = "Allocations are created with PUT."
        raise ApiError(405, {"Title": "Method Not Allowed", "Status": 405, "Detail": detail})
    records = call.records("Allocations")
    with transaction.atomic():
        note = _one(call, call.ident[: -len(ALLOCATIONS)], lock=True)
        results = allocations_create(credit_note=note, payloads=records)
    saved = {
        a.pk: a
        for a in Allocation.objects.filter(pk__in=[r.allocation.pk for r in results if r.allocation]).select_related(
            "invoice", "credit_note"
        )
    }
    return batch_answer(
        call,
        "Allocations",
        [(allocation_json(saved[r.allocation.pk]) if r.allocation else None, r.submitted, r.errors) for r in results],
    )


def credit_notes_handle(call: Call) -> tuple[int, dict[str, Any]]:
    if call.ident.endswith(ALLOCATIONS):
        return _allocate(call)
    if call.method == "GET":
        return _get(call)
    records = call.records("CreditNotes")
    if call.ident and call.method == "POST":
        records = [{**records[0], "CreditNoteID": call.ident}] if isinstance(records[0], dict) else records
    with transaction.atomic():
        results = credit_notes_save(
            organisation=call.organisation, payloads=records, update=call.method == "POST", unitdp=call.unitdp
        )
    ids = [r.credit_note.pk for r in results if r.credit_note]
    saved = {n.pk: n for n in _with_related(CreditNote.objects.filter(pk__in=ids))}
    return batch_answer(
        call,
        "CreditNotes",
        [
            (
                credit_note_json(saved[r.credit_note.pk], unitdp=call.unitdp) if r.credit_note else None,
                _as_failed(r),
                r.errors,
            )
            for r in results
        ],
    )

"""Create and update credit notes (PUT/POST /CreditNotes) with the invoice rules Xero applies to them too."""

from __future__ import annotations

from typing import Any

from xero_sandbox.models import CreditNote, CreditNoteLine, Organisation
from xero_sandbox.services.document_saves import DocumentBatch, DocumentKind, DocumentResult, documents_save

TYPES = frozenset({"ACCRECCREDIT", "ACCPAYCREDIT"})
NOT_UNIQUE = "Credit Note # must be unique."
NEGATIVE = "The credit note total cannot be negative."


class CreditNoteResult(DocumentResult):
    @property
    def credit_note(self) -> CreditNote | None:
        return self.document


def _type_error(value: str) -> str:
    return f"Credit Note Type '{value}' is not valid" if value else "Type must be specified"


def _header(batch: DocumentBatch, note: Any, raw: dict[str, Any], errors: list[str]) -> None:
    note.credit_note_number, note.reference = note.credit_note_number[:255], note.reference[:255]


CREDIT_NOTES = DocumentKind(
    model=CreditNote, line_model=CreditNoteLine, noun="Credit Note", id_key="CreditNoteID",
    id_field="credit_note_id", number_key="CreditNoteNumber", number_field="credit_note_number", line_fk="credit_note",
    sales_type="ACCRECCREDIT", types=TYPES, number_prefix="CN", counter_field="next_credit_note_number",
    not_unique=NOT_UNIQUE, type_errors=_type_error,
    status_errors=("Credit Note not of valid status for creation", "Status is not valid"),
    extra_header=_header, after_currency=lambda batch, note, raw, errors: None,
    checks=lambda note, raw: [NEGATIVE] if note.total < 0 else [],
    settled=lambda note: note.amount_allocated > 0,
)  # fmt: skip


def credit_notes_save(
    *, organisation: Organisation, payloads: list[Any], update: bool, unitdp: int = 2
) -> list[CreditNoteResult]:
    """Create (PUT) or update-or-create (POST) credit notes; one result per element. Run inside a transaction."""
    results, _created, _updated = documents_save(
        CREDIT_NOTES, organisation=organisation, payloads=payloads, update=update, unitdp=unitdp
    )
    return [CreditNoteResult(r.submitted, r.document, r.errors, r.creating) for r in results]

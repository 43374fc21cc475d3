"""Create and update invoices in batches, with Xero's validation, status rules and per-line tax rounding."""

from __future__ import annotations

from typing import Any

from xero_sandbox.models import Invoice, LineItem, Organisation
from xero_sandbox.parse import text
from xero_sandbox.services.document_saves import DocumentBatch, DocumentKind, DocumentResult, documents_save
from xero_sandbox.services.documents import currency_rate_apply, stated_total_errors
from xero_sandbox.services.webhooks import invoice_events_send

TYPES = frozenset({"ACCREC", "ACCPAY"})
# Xero-Net#236 and many integrations quote this wording.
NOT_UNIQUE = "Invoice # must be unique."
NEGATIVE = "The invoice total cannot be negative. Use a credit note (ACCRECCREDIT) instead."


class InvoiceResult(DocumentResult):
    @property
    def invoice(self) -> Invoice | None:
        return self.document


def _type_error(value: str) -> str:
    return f"Invoice Type '{value}' is not valid" if value else "Invoice Type must be specified"


def _header(batch: DocumentBatch, invoice: Any, raw: dict[str, Any], errors: list[str]) -> None:
    if "Url" in raw:
        invoice.url = text(raw.get("Url"))
    if len(invoice.invoice_number) > 255:
        errors.append("Invoice Number must be no more than 255 characters long.")


def _rate(batch: DocumentBatch, invoice: Any, raw: dict[str, Any], errors: list[str]) -> None:
    if "CurrencyRate" in raw:
        currency_rate_apply(batch, invoice, raw, errors)


def _checks(invoice: Any, raw: dict[str, Any]) -> list[str]:
    errors = stated_total_errors(invoice, raw)
    if invoice.type == "ACCREC" and invoice.total < 0:
        errors.append(NEGATIVE)
    return errors


INVOICES = DocumentKind(
    model=Invoice, line_model=LineItem, noun="Invoice", id_key="InvoiceID", id_field="invoice_id",
    number_key="InvoiceNumber", number_field="invoice_number", line_fk="invoice", sales_type="ACCREC", types=TYPES,
    number_prefix="INV", counter_field="next_invoice_number", not_unique=NOT_UNIQUE, type_errors=_type_error,
    status_errors=("Invoice not of valid status for creation", "Invoice status is not valid"),
    extra_header=_header, after_currency=_rate, checks=_checks,
    settled=lambda invoice: invoice.amount_paid > 0 or invoice.amount_credited > 0,
)  # fmt: skip


def invoices_save(
    *, organisation: Organisation, payloads: list[Any], update: bool, unitdp: int = 2
) -> list[InvoiceResult]:
    """Create (PUT) or update-or-create (POST) a batch of invoices; return one result per element.

    Valid elements are written even when others fail, as Xero does; the organisation's apps get
    the webhook events. Run inside a transaction.
    """
    results, created, updated = documents_save(
        INVOICES, organisation=organisation, payloads=payloads, update=update, unitdp=unitdp
    )
    invoice_events_send(organisation=organisation, created=created, updated=updated)
    return [InvoiceResult(r.submitted, r.document, r.errors, r.creating) for r in results]

"""Invoices (GET by id / InvoiceNumbers / where / paging, PUT create, POST update-or-create) and Payments."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from xero_sandbox.api.render import invoice_json, payment_json
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import Invoice, Payment
from xero_sandbox.services.documents import ZERO_ID
from xero_sandbox.services.invoices import InvoiceResult, invoices_save
from xero_sandbox.services.payments import payments_create

from .common import ApiError, Call, batch_answer, filtered, ordered, paged

FIELDS = {
    "InvoiceNumber": "invoice_number",
    "Reference": "reference",
    "Status": "status",
    "Type": "type",
    "InvoiceID": "invoice_id",
    "Contact.ContactID": "contact__contact_id",
    "Contact.Name": "contact__name",
    "Date": "date",
    "DueDate": "due_date",
    "Total": "total",
    "SubTotal": "sub_total",
    "CurrencyCode": "currency_code",
}
ORDER_FIELDS = {
    "InvoiceNumber": "invoice_number",
    "Date": "date",
    "DueDate": "due_date",
    "UpdatedDateUTC": "updated_at",
    "Total": "total",
    "Status": "status",
    "Reference": "reference",
}


def _with_related(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return invoices.select_related("contact").prefetch_related(
        "line_items", "payments__account", "payments__invoice", "allocations__credit_note"
    )


def _csv(call: Call, name: str) -> list[str]:
    return [part.strip() for part in call.query.get(name, "").split(",") if part.strip()]


def _uuids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value) for value in values]
    except ValueError:
        raise ApiError(
            400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": "IDs must be GUIDs"}
        ) from None


def _get(call: Call) -> tuple[int, dict[str, Any]]:
    invoices = Invoice.objects.filter(organisation=call.organisation)
    if call.ident:
        try:
            found = _with_related(invoices.filter(invoice_id=uuid.UUID(call.ident))).first()
        except ValueError:
            found = _with_related(invoices.filter(invoice_number=call.ident)).first()
        if found is None:
            raise ApiError(404, not_found())
        return 200, envelope("Invoices", [invoice_json(found, unitdp=call.unitdp)])
    if _csv(call, "IDs"):
        invoices = invoices.filter(invoice_id__in=_uuids(_csv(call, "IDs")))
    if _csv(call, "InvoiceNumbers"):
        invoices = invoices.filter(invoice_number__in=_csv(call, "InvoiceNumbers"))
    if _csv(call, "Statuses"):
        invoices = invoices.filter(status__in=_csv(call, "Statuses"))
    if _csv(call, "ContactIDs"):
        invoices = invoices.filter(contact__contact_id__in=_uuids(_csv(call, "ContactIDs")))
    invoices, pagination = paged(call, ordered(call, filtered(call, invoices, FIELDS), ORDER_FIELDS))
    summary = call.query.get("summaryOnly", "false").lower() == "true"
    records = [invoice_json(i, unitdp=call.unitdp, with_lines=not summary) for i in _with_related(invoices)]
    return 200, envelope("Invoices", records, **pagination)


def invoices_handle(call: Call) -> tuple[int, dict[str, Any]]:
    if call.method == "GET":
        return _get(call)
    records = call.records("Invoices")
    if call.ident and call.method == "POST":
        records = [{**records[0], "InvoiceID": call.ident}] if isinstance(records[0], dict) else records
    with transaction.atomic():
        results = invoices_save(
            organisation=call.organisation, payloads=records, update=call.method == "POST", unitdp=call.unitdp
        )
    saved = {
        i.pk: i for i in _with_related(Invoice.objects.filter(pk__in=[r.invoice.pk for r in results if r.invoice]))
    }
    return batch_answer(
        call,
        "Invoices",
        [
            (invoice_json(saved[r.invoice.pk], unitdp=call.unitdp) if r.invoice else None, _as_failed(r), r.errors)
            for r in results
        ],
    )


def _as_failed(result: InvoiceResult) -> dict[str, Any]:
    """A failed new invoice comes back with the all-zero InvoiceID, as Xero answers it."""
    if result.errors and result.creating and isinstance(result.submitted, dict):
        return {**result.submitted, "InvoiceID": ZERO_ID}
    return result.submitted


def payments_handle(call: Call) -> tuple[int, dict[str, Any]]:
    payments = Payment.objects.filter(invoice__organisation=call.organisation).select_related("invoice", "account")
    if call.method == "GET":
        if call.ident:
            payments = payments.filter(payment_id__in=_uuids([call.ident]))
            if not payments:
                raise ApiError(404, not_found())
        return 200, envelope("Payments", [payment_json(p) for p in payments])
    records = call.records("Payments")
    with transaction.atomic():
        results = payments_create(organisation=call.organisation, payloads=records)
    return batch_answer(
        call, "Payments", [(payment_json(r.payment) if r.payment else None, r.submitted, r.errors) for r in results]
    )

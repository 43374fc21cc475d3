"""Invoices (GET by id, IDs / InvoiceNumbers / ContactIDs / Statuses, searchTerm, where, order, If-Modified-Since,
paging; PUT create, POST update-or-create) and Payments."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When

from xero_sandbox.api.render import invoice_json, payment_json
from xero_sandbox.api.render_tracking import lines_with_tracking
from xero_sandbox.api.responses import envelope, not_found
from xero_sandbox.models import Invoice, LineItem, Payment
from xero_sandbox.services.documents import ZERO_ID
from xero_sandbox.services.invoices import InvoiceResult, invoices_save
from xero_sandbox.services.payments import payment_delete, payments_create

from .common import ApiError, Call, batch_answer, changed_since, filtered, ordered, paged
from .high_volume import INVOICES, high_volume_check

FIELDS = {
    "InvoiceNumber": "invoice_number",
    "Reference": "reference",
    "Status": "status",
    "Type": "type",
    "InvoiceID": "invoice_id",
    "Contact.ContactID": "contact__contact_id",
    "Contact.Name": "contact__name",
    "Contact.ContactNumber": "contact__contact_number",
    "Date": "date",
    "DueDate": "due_date",
    "Total": "total",
    "SubTotal": "sub_total",
    "AmountPaid": "amount_paid",
    "AmountDue": "amount_due_value",
    "CurrencyCode": "currency_code",
}
ORDER_FIELDS = {
    "InvoiceID": "invoice_id",
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
        lines_with_tracking(LineItem), "payments__account", "payments__invoice", "allocations__credit_note"
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
    high_volume_check(call, rules=INVOICES, fields=FIELDS, records=invoices)
    invoices = changed_since(call, invoices).annotate(amount_due_value=F("total") - F("amount_paid"))
    if _csv(call, "IDs"):
        invoices = invoices.filter(invoice_id__in=_uuids(_csv(call, "IDs")))
    if _csv(call, "InvoiceNumbers"):
        invoices = invoices.filter(invoice_number__in=_csv(call, "InvoiceNumbers"))
    if _csv(call, "Statuses"):
        invoices = invoices.filter(status__in=_csv(call, "Statuses"))
    if _csv(call, "ContactIDs"):
        invoices = invoices.filter(contact__contact_id__in=_uuids(_csv(call, "ContactIDs")))
    term = (call.query.get("searchTerm") or call.query.get("SearchTerm") or "").strip()
    if term:  # Xero searches InvoiceNumber and Reference
        invoices = invoices.filter(Q(invoice_number__icontains=term) | Q(reference__icontains=term))
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


PAYMENT_FIELDS = {
    "PaymentID": "payment_id",
    "Invoice.InvoiceID": "invoice__invoice_id",
    "Invoice.InvoiceNumber": "invoice__invoice_number",
    "CreditNote.CreditNoteID": "credit_note__credit_note_id",
    "Reference": "reference",
    "Amount": "amount",
    "Date": "date",
    "Status": "status",
    "PaymentType": "payment_type",
}


def payments_handle(call: Call) -> tuple[int, dict[str, Any]]:
    payments = (
        Payment.objects.filter(account__organisation=call.organisation)
        .select_related("invoice", "credit_note", "account")
        .annotate(
            payment_type=Case(
                When(credit_note__isnull=False, then=Value("ARCREDITPAYMENT")),
                When(invoice__type="ACCPAY", then=Value("ACCPAYPAYMENT")),
                default=Value("ACCRECPAYMENT"),
            )
        )
    )
    if call.method == "GET":
        if call.ident:
            payments = payments.filter(payment_id__in=_uuids([call.ident]))
            if not payments:
                raise ApiError(404, not_found())
        else:
            payments = changed_since(call, payments, stamp="updated_at")
            payments = ordered(call, filtered(call, payments, PAYMENT_FIELDS), {"Date": "date", "Amount": "amount"})
            payments, pagination = paged(call, payments)
            return 200, envelope("Payments", [payment_json(p) for p in payments], **pagination)
        return 200, envelope("Payments", [payment_json(p) for p in payments])
    records = call.records("Payments")
    if call.ident and call.method == "POST":
        return _payment_delete(call, records)
    with transaction.atomic():
        results = payments_create(organisation=call.organisation, payloads=records)
    return batch_answer(
        call, "Payments", [(payment_json(r.payment) if r.payment else None, r.submitted, r.errors) for r in results]
    )


def _payment_delete(call: Call, records: list[Any]) -> tuple[int, dict[str, Any]]:
    """POST /Payments/{id} `{"Status": "DELETED"}`: the only change Xero takes on a payment."""
    with transaction.atomic():
        found = (
            Payment.objects.select_for_update()
            .filter(account__organisation=call.organisation, payment_id__in=_uuids([call.ident]))
            .first()
        )
        if found is None:
            raise ApiError(404, not_found())
        raw = records[0] if records and isinstance(records[0], dict) else {}
        result = payment_delete(payment=found, raw=raw)
    saved = Payment.objects.select_related("invoice", "credit_note", "account").get(pk=found.pk)
    return batch_answer(call, "Payments", [(payment_json(saved) if result.payment else None, raw, result.errors)])

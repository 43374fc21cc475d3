"""Render credit notes and allocations in the Accounting API's JSON shapes."""

from __future__ import annotations

from typing import Any

from xero_sandbox.models import Allocation, CreditNote

from .render import compact, contact_json, line_item_json, money, ms_date, ms_datetime, payment_json


def allocation_json(allocation: Allocation, *, with_credit_note: bool = True) -> dict[str, Any]:
    """Render an allocation (`credit_note` and `invoice` should be selected)."""
    invoice = allocation.invoice
    data: dict[str, Any] = {
        "AllocationID": str(allocation.allocation_id),
        "Amount": money(allocation.amount),
        "Date": ms_date(allocation.date),
        "Invoice": compact(
            {
                "InvoiceID": str(invoice.invoice_id),
                "InvoiceNumber": invoice.invoice_number or None,
                "Type": invoice.type,
                "Status": invoice.status,
                "AmountDue": money(invoice.amount_due),
                "AmountCredited": money(invoice.amount_credited),
            }
        ),
        "IsDeleted": False,
    }
    if with_credit_note:
        note = allocation.credit_note
        data["CreditNote"] = compact(
            {
                "CreditNoteID": str(note.credit_note_id),
                "CreditNoteNumber": note.credit_note_number or None,
                "Type": note.type,
                "RemainingCredit": money(note.remaining_credit),
            }
        )
    return data


def credit_note_json(note: CreditNote, *, unitdp: int = 2, with_lines: bool = True) -> dict[str, Any]:
    """Render a credit note; contact, lines and allocations (with their invoices) should be prefetched."""
    data: dict[str, Any] = {
        "Type": note.type,
        "CreditNoteID": str(note.credit_note_id),
        "CreditNoteNumber": note.credit_note_number,
        "Reference": note.reference,
        "Contact": contact_json(note.contact, summary=True),
        "Date": ms_date(note.date),
        "DueDate": ms_date(note.due_date),
        "Status": note.status,
        "LineAmountTypes": note.line_amount_types,
        "SubTotal": money(note.sub_total),
        "TotalTax": money(note.total_tax),
        "Total": money(note.total),
        "RemainingCredit": money(note.remaining_credit),
        "UpdatedDateUTC": ms_datetime(note.updated_at),
        "CurrencyCode": note.currency_code,
        "CurrencyRate": float(note.currency_rate),
        "FullyPaidOnDate": ms_date(note.fully_paid_on),
        "Allocations": [allocation_json(a, with_credit_note=False) for a in note.allocations.all()],
        "Payments": [payment_json(p, with_invoice=False) for p in note.payments.all() if p.status != "DELETED"],
        "HasAttachments": False,
        "HasErrors": False,
        "SentToContact": False,
    }
    if with_lines:
        data["LineItems"] = [line_item_json(line, unitdp=unitdp) for line in note.line_items.all()]
    return compact(data)

"""Money and status rules real Xero applies to invoices, through the official SDK."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import Account, Contact, Invoice, Invoices, LineItem, Payment, Payments

from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
ZERO_ID = "00000000-0000-0000-0000-000000000000"
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."


def _invoice(number: str, *, status="AUTHORISED", amounts=(10.0,), date=dt.date(2026, 11, 2)) -> Invoice:
    lines = [LineItem(description="Widget", quantity=1.0, unit_amount=a, account_code="200") for a in amounts]
    return Invoice(
        type="ACCREC",
        contact=Contact(name="Jane Buyer"),
        date=date,
        invoice_number=number,
        status=status,
        line_items=lines,
    )


def _put(sdk, tenant, *invoices: Invoice):
    return sdk.accounting.create_invoices(
        tenant, Invoices(invoices=list(invoices)), summarize_errors=False, _request_timeout=T
    ).invoices


def _post(sdk, tenant, *invoices: Invoice):
    return sdk.accounting.update_or_create_invoices(
        tenant, Invoices(invoices=list(invoices)), summarize_errors=False, _request_timeout=T
    ).invoices


def _messages(element) -> list[str]:
    return [e.message for e in element.validation_errors or []]


def _pay(sdk, tenant, invoice_id, amount: float, date=dt.date(2026, 11, 20)):
    payment = Payment(invoice=Invoice(invoice_id=invoice_id), account=Account(code="090"), amount=amount, date=date)
    return sdk.accounting.create_payments(
        tenant, Payments(payments=[payment]), summarize_errors=False, _request_timeout=T
    ).payments[0]


def test_a_sales_invoice_below_zero_is_refused_and_a_zero_one_is_accepted(sdk, tenant):
    refund, nil = _put(
        sdk, tenant, _invoice("INV-NEG", amounts=(10.0, -25.0)), _invoice("INV-NIL", amounts=(10.0, -10.0))
    )
    assert (refund.status_attribute_string, str(refund.invoice_id)) == ("ERROR", ZERO_ID)
    assert _messages(refund) == ["The invoice total cannot be negative. Use a credit note (ACCRECCREDIT) instead."]
    assert (nil.status_attribute_string, nil.total) == ("OK", Decimal("0.00"))
    assert [i["InvoiceNumber"] for i in testing.invoices(organisation=tenant)] == ["INV-NIL"]


def test_the_period_lock_date_refuses_posted_documents_dated_on_or_before_it(sdk, tenant):
    (early,) = _put(sdk, tenant, _invoice("INV-EARLY", date=dt.date(2026, 10, 20)))
    testing.lock_date_set(organisation=tenant, lock_date=dt.date(2026, 10, 31))
    locked = "The document date cannot be before the period lock date, currently set at 31-Oct-2026"

    on_lock, draft, after = _put(
        sdk,
        tenant,
        _invoice("INV-LOCKED", date=dt.date(2026, 10, 31)),
        _invoice("INV-DRAFT", status="DRAFT", date=dt.date(2026, 10, 31)),
        _invoice("INV-OPEN", date=dt.date(2026, 11, 1)),
    )

    assert _messages(on_lock) == [locked]
    assert (draft.status_attribute_string, after.status_attribute_string) == ("OK", "OK")
    (approve,) = _post(sdk, tenant, Invoice(invoice_id=draft.invoice_id, status="AUTHORISED"))
    assert _messages(approve) == [locked]
    (void,) = _post(sdk, tenant, Invoice(invoice_id=early.invoice_id, status="VOIDED"))
    assert _messages(void) == [locked]
    assert _messages(_pay(sdk, tenant, after.invoice_id, 5.0, date=dt.date(2026, 10, 30))) == [locked]
    assert _pay(sdk, tenant, after.invoice_id, 5.0, date=dt.date(2026, 11, 1)).status_attribute_string == "OK"
    statuses = {i["InvoiceNumber"]: i["Status"] for i in testing.invoices(organisation=tenant)}
    assert statuses == {"INV-EARLY": "AUTHORISED", "INV-DRAFT": "DRAFT", "INV-OPEN": "AUTHORISED"}


def test_an_invoice_with_a_payment_keeps_its_lines_and_cannot_be_voided(sdk, tenant):
    (invoice,) = _put(sdk, tenant, _invoice("INV-PART", amounts=(50.0,)))
    assert _pay(sdk, tenant, invoice.invoice_id, 20.0).status_attribute_string == "OK"

    new_lines = [LineItem(description="More", quantity=1.0, unit_amount=80.0, account_code="200")]
    (edit,) = _post(sdk, tenant, Invoice(invoice_id=invoice.invoice_id, line_items=new_lines))
    (void,) = _post(sdk, tenant, Invoice(invoice_id=invoice.invoice_id, status="VOIDED"))
    (reference,) = _post(sdk, tenant, Invoice(invoice_id=invoice.invoice_id, reference="PO 7"))

    assert (_messages(edit), _messages(void)) == ([HAS_PAYMENTS], [HAS_PAYMENTS])
    assert reference.status_attribute_string == "OK"
    stored = testing.invoices(organisation=tenant)[0]
    assert (stored["Total"], stored["AmountDue"], stored["Status"], stored["Reference"]) == (
        60.0,
        40.0,
        "AUTHORISED",
        "PO 7",
    )


def test_status_moves_forward_only_and_a_void_carries_only_the_id_and_status(sdk, tenant):
    authorised, submitted = _put(sdk, tenant, _invoice("INV-A"), _invoice("INV-S", status="SUBMITTED"))
    (back,) = _post(sdk, tenant, Invoice(invoice_id=authorised.invoice_id, status="DRAFT"))
    assert _messages(back) == ["Invoice not of valid status for modification"]
    (to_draft,) = _post(sdk, tenant, Invoice(invoice_id=submitted.invoice_id, status="DRAFT"))
    assert (to_draft.status_attribute_string, to_draft.status) == ("OK", "DRAFT")

    # xero-node#407: the invoice as GET answered it, with Status changed to VOIDED, is refused.
    whole = sdk.accounting.get_invoice(tenant, authorised.invoice_id, _request_timeout=T).invoices[0]
    whole.status = "VOIDED"
    (full_body,) = _post(sdk, tenant, whole)
    assert _messages(full_body) == [
        "A change to status VOIDED must be sent with only the document's ID (or number) and Status."
    ]
    voided = sdk.accounting.update_invoice(
        tenant, authorised.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")]), _request_timeout=T
    ).invoices[0]
    assert voided.status == "VOIDED"
    (again,) = _post(sdk, tenant, Invoice(invoice_id=authorised.invoice_id, status="AUTHORISED"))
    assert _messages(again) == ["Invoice not of valid status for modification"]

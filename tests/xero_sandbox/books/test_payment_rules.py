"""Payments, refund payments out of credit notes and their removal, as real Xero has them, through
the official SDK: the payments scope, the void rule of paid invoices, and look-ups by `where`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Account,
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Payment,
    PaymentDelete,
    Payments,
)
from xero_python.exceptions import ApiException

from tests.xero_sandbox.conftest import Sdk
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
DAY = dt.date(2026, 11, 20)
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it."


def _invoice(sdk, tenant, number: str, amount: float = 100.0) -> Invoice:
    line = LineItem(description="Lamp", quantity=1.0, unit_amount=amount, account_code="200", tax_type="NONE")
    invoice = Invoice(type="ACCREC", contact=Contact(name="Jane Buyer"), date=DAY, invoice_number=number,
                      status="AUTHORISED", line_items=[line], line_amount_types=LineAmountTypes.NOTAX)  # fmt: skip
    [made] = sdk.accounting.create_invoices(tenant, Invoices(invoices=[invoice]), _request_timeout=T).invoices
    return made


def _credit_note(sdk, tenant, number: str, amount: float) -> CreditNote:
    line = LineItem(description="Refund", quantity=1.0, unit_amount=amount, account_code="200", tax_type="NONE")
    note = CreditNote(type="ACCRECCREDIT", contact=Contact(name="Jane Buyer"), date=DAY, credit_note_number=number,
                      status="AUTHORISED", line_items=[line], line_amount_types=LineAmountTypes.NOTAX)  # fmt: skip
    [made] = sdk.accounting.create_credit_notes(
        tenant, CreditNotes(credit_notes=[note]), _request_timeout=T
    ).credit_notes
    return made


def _pay(sdk, tenant, *, amount: float, invoice_id=None, credit_note_id=None, reference: str = "") -> Payment:
    payment = Payment(account=Account(code="090"), amount=amount, date=DAY, reference=reference)
    if invoice_id:
        payment.invoice = Invoice(invoice_id=invoice_id)
    else:
        payment.credit_note = CreditNote(credit_note_id=credit_note_id)
    return sdk.accounting.create_payments(
        tenant, Payments(payments=[payment]), summarize_errors=False, _request_timeout=T
    ).payments[0]


def _messages(element) -> list[str]:
    return [e.message for e in element.validation_errors or []]


def test_payments_need_the_payments_scope_and_invoices_alone_do_not_open_them(xero_sandbox, sandbox_app, sandbox_org):
    testing.limits_reset()
    token = testing.token_issue(
        app=sandbox_app, organisations=[sandbox_org], scopes=["offline_access", "accounting.invoices"]
    )
    sdk = Sdk(base=xero_sandbox, app=sandbox_app, token=token)
    tenant = str(sandbox_org.tenant_id)
    invoice = _invoice(sdk, tenant, "INV-SCOPE")

    with pytest.raises(ApiException) as refused:
        _pay(sdk, tenant, amount=10.0, invoice_id=invoice.invoice_id)

    assert refused.value.status == 401
    assert "AuthorizationUnsuccessful" in str(refused.value.body)
    assert testing.invoices(organisation=tenant)[0]["AmountPaid"] == 0


def test_a_refund_payment_pays_out_of_a_credit_notes_credit_and_no_more(sdk, tenant):
    note = _credit_note(sdk, tenant, "CN-R1", 30.0)

    too_much = _pay(sdk, tenant, amount=30.01, credit_note_id=note.credit_note_id)
    refund = _pay(sdk, tenant, amount=30.0, credit_note_id=note.credit_note_id, reference="card")

    assert _messages(too_much) == ["Payment amount exceeds the amount outstanding on this document"]
    assert (refund.status_attribute_string, refund.payment_type) == ("OK", "ARCREDITPAYMENT")
    held = sdk.accounting.get_credit_note(tenant, note.credit_note_id, _request_timeout=T).credit_notes[0]
    assert (held.status, held.remaining_credit) == ("PAID", Decimal("0.00"))
    assert [(p.amount, p.reference) for p in held.payments] == [(Decimal("30.00"), "card")]


def test_a_paid_invoice_is_voided_only_after_its_payment_is_removed(sdk, tenant):
    invoice = _invoice(sdk, tenant, "INV-VOID")
    payment = _pay(sdk, tenant, amount=100.0, invoice_id=invoice.invoice_id)
    void = Invoice(invoice_id=invoice.invoice_id, status="VOIDED")

    [refused] = sdk.accounting.update_or_create_invoices(
        tenant, Invoices(invoices=[void]), summarize_errors=False, _request_timeout=T
    ).invoices
    removed = sdk.accounting.delete_payment(
        tenant, payment.payment_id, PaymentDelete(status="DELETED"), _request_timeout=T
    ).payments[0]
    with pytest.raises(ApiException) as again:
        sdk.accounting.delete_payment(tenant, payment.payment_id, PaymentDelete(status="DELETED"), _request_timeout=T)
    [voided] = sdk.accounting.update_or_create_invoices(
        tenant, Invoices(invoices=[void]), summarize_errors=False, _request_timeout=T
    ).invoices

    assert _messages(refused) == ["Invoice not of valid status for modification"]  # PAID
    assert removed.status == "DELETED"
    assert again.value.status == 400 and "already been deleted" in str(again.value.body)
    assert (voided.status_attribute_string, voided.status) == ("OK", "VOIDED")
    [held] = testing.invoices(organisation=tenant)
    assert (held["Status"], held["AmountPaid"], held["Payments"]) == ("VOIDED", 0, [])


def test_a_partly_paid_invoice_refuses_a_void_while_its_payment_stands(sdk, tenant):
    invoice = _invoice(sdk, tenant, "INV-PART")
    _pay(sdk, tenant, amount=40.0, invoice_id=invoice.invoice_id)

    [refused] = sdk.accounting.update_or_create_invoices(
        tenant, Invoices(invoices=[Invoice(invoice_id=invoice.invoice_id, status="VOIDED")]), summarize_errors=False,
        _request_timeout=T,
    ).invoices  # fmt: skip

    assert _messages(refused) == [HAS_PAYMENTS]


def test_payments_are_found_by_invoice_and_reference(sdk, tenant):
    first = _invoice(sdk, tenant, "INV-W1")
    second = _invoice(sdk, tenant, "INV-W2")
    _pay(sdk, tenant, amount=10.0, invoice_id=first.invoice_id, reference="card")
    _pay(sdk, tenant, amount=20.0, invoice_id=second.invoice_id, reference="card")

    found = sdk.accounting.get_payments(
        tenant, where=f'Invoice.InvoiceID==Guid("{second.invoice_id}") AND Reference=="card"', _request_timeout=T
    ).payments

    assert [(p.amount, p.invoice.invoice_number) for p in found] == [(Decimal("20.00"), "INV-W2")]

"""Credit notes and their allocations to invoices, through the official SDK over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import (
    Allocation,
    Allocations,
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineItem,
)
from xero_python.exceptions import HTTPStatusException

from tests.xero_sandbox.conftest import Sdk
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
ZERO_ID = "00000000-0000-0000-0000-000000000000"
TOO_MUCH = "Credit Note cannot be allocated as amount is greater than amount outstanding"


def _lines(amount: float) -> list[LineItem]:
    return [LineItem(description="Refund", quantity=1.0, unit_amount=amount, account_code="200", tax_type="OUTPUT2")]


def _note(number: str | None, amount: float, *, status="AUTHORISED", type_="ACCRECCREDIT", contact="Jane Buyer"):
    return CreditNote(
        type=type_,
        contact=Contact(name=contact),
        date=dt.date(2026, 11, 10),
        credit_note_number=number,
        status=status,
        line_items=_lines(amount),
    )


def _notes(sdk, tenant, *notes: CreditNote) -> list[CreditNote]:
    answer = sdk.accounting.create_credit_notes(
        tenant, CreditNotes(credit_notes=list(notes)), summarize_errors=False, _request_timeout=T
    )
    return answer.credit_notes


def _sale(sdk, tenant, number: str, amount: float) -> Invoice:
    invoice = Invoice(
        type="ACCREC",
        contact=Contact(name="Jane Buyer"),
        date=dt.date(2026, 11, 2),
        invoice_number=number,
        status="AUTHORISED",
        line_items=_lines(amount),
    )
    return sdk.accounting.create_invoices(tenant, Invoices(invoices=[invoice]), _request_timeout=T).invoices[0]


def _allocate(sdk, tenant, note_id, invoice_id, amount: float, *, date=dt.date(2026, 11, 12), key=None):
    allocation = Allocation(invoice=Invoice(invoice_id=invoice_id), amount=amount, date=date)
    extra = {"idempotency_key": key} if key else {}
    answer = sdk.accounting.create_credit_note_allocation(
        tenant, note_id, Allocations(allocations=[allocation]), summarize_errors=False, _request_timeout=T, **extra
    )
    return answer.allocations[0]


def _messages(element) -> list[str]:
    return [e.message for e in element.validation_errors or []]


def test_sales_credit_notes_are_numbered_taxed_and_read_back(sdk, tenant):
    first, second, duplicate = _notes(
        sdk,
        tenant,
        _note(None, 10.0),
        _note("CN-REF-7", 5.0, status="DRAFT"),
        _note("CN-REF-7", 1.0),
    )
    assert (first.credit_note_number, first.sub_total, first.total_tax, first.total) == (
        "CN-0001",
        Decimal("10.00"),
        Decimal("2.00"),
        Decimal("12.00"),
    )
    assert (first.status, first.remaining_credit, second.status) == ("AUTHORISED", Decimal("12.00"), "DRAFT")
    assert (_messages(duplicate), str(duplicate.credit_note_id)) == (["Credit Note # must be unique."], ZERO_ID)

    one = sdk.accounting.get_credit_note(tenant, first.credit_note_id, _request_timeout=T).credit_notes[0]
    assert (one.credit_note_number, one.contact.name, one.line_items[0].tax_type) == (
        "CN-0001",
        "Jane Buyer",
        "OUTPUT2",
    )
    drafts = sdk.accounting.get_credit_notes(tenant, where='Status=="DRAFT"', _request_timeout=T).credit_notes
    assert [n.credit_note_number for n in drafts] == ["CN-REF-7"]
    (approved,) = sdk.accounting.update_or_create_credit_notes(
        tenant,
        CreditNotes(credit_notes=[CreditNote(credit_note_id=second.credit_note_id, status="AUTHORISED")]),
        _request_timeout=T,
    ).credit_notes
    assert approved.status == "AUTHORISED"


def test_allocating_credit_lowers_what_the_invoice_owes_until_it_is_paid(sdk, tenant):
    invoice = _sale(sdk, tenant, "INV-100", 20.0)  # 24.00 with VAT
    note = _notes(sdk, tenant, _note(None, 10.0))[0]  # 12.00 of credit

    first = _allocate(sdk, tenant, note.credit_note_id, invoice.invoice_id, 10.0)
    assert (first.status_attribute_string, first.amount, first.invoice.invoice_id) == (
        "OK",
        Decimal("10.00"),
        invoice.invoice_id,
    )
    held = sdk.accounting.get_invoice(tenant, invoice.invoice_id, _request_timeout=T).invoices[0]
    assert (held.amount_due, held.amount_credited, held.status) == (Decimal("14.00"), Decimal("10.00"), "AUTHORISED")
    assert [(c.credit_note_number, c.applied_amount) for c in held.credit_notes] == [("CN-0001", Decimal("10.00"))]

    assert _messages(_allocate(sdk, tenant, note.credit_note_id, invoice.invoice_id, 5.0)) == [TOO_MUCH]
    assert _allocate(sdk, tenant, note.credit_note_id, invoice.invoice_id, 2.0).status_attribute_string == "OK"
    spent = sdk.accounting.get_credit_note(tenant, note.credit_note_id, _request_timeout=T).credit_notes[0]
    assert (spent.status, spent.remaining_credit, len(spent.allocations)) == ("PAID", Decimal("0.00"), 2)

    bigger = _notes(sdk, tenant, _note(None, 50.0))[0]  # 60.00 of credit, the invoice owes 12.00
    assert _messages(_allocate(sdk, tenant, bigger.credit_note_id, invoice.invoice_id, 12.01)) == [TOO_MUCH]
    assert _allocate(sdk, tenant, bigger.credit_note_id, invoice.invoice_id, 12.0).status_attribute_string == "OK"
    paid = testing.invoices(organisation=tenant)[0]
    assert (paid["Status"], paid["AmountDue"], paid["AmountCredited"]) == ("PAID", 0.0, 24.0)
    # As xeroizer#320 quotes Xero: both reasons come back.
    assert _messages(_allocate(sdk, tenant, bigger.credit_note_id, invoice.invoice_id, 1.0)) == [
        "The invoice you are trying to allocate to has already been paid off",
        TOO_MUCH,
    ]


def test_allocations_are_refused_for_drafts_other_types_and_locked_periods(sdk, tenant):
    invoice = _sale(sdk, tenant, "INV-200", 20.0)
    draft, supplier_credit, other_contact, good = _notes(
        sdk,
        tenant,
        _note(None, 5.0, status="DRAFT"),
        _note(None, 5.0, type_="ACCPAYCREDIT"),
        _note(None, 5.0, contact="Someone Else"),
        _note(None, 5.0),
    )
    assert _messages(_allocate(sdk, tenant, draft.credit_note_id, invoice.invoice_id, 1.0)) == [
        "Only an AUTHORISED Credit Note with credit remaining can be allocated"
    ]
    assert _messages(_allocate(sdk, tenant, supplier_credit.credit_note_id, invoice.invoice_id, 1.0)) == [
        "Credit Note cannot be allocated to an incorrect invoice type"
    ]
    assert _messages(_allocate(sdk, tenant, other_contact.credit_note_id, invoice.invoice_id, 1.0)) == [
        "Credit Note and Invoice must be for the same contact"
    ]
    testing.lock_date_set(organisation=tenant, lock_date=dt.date(2026, 11, 15))
    assert _messages(_allocate(sdk, tenant, good.credit_note_id, invoice.invoice_id, 1.0)) == [
        "The document date cannot be before the period lock date, currently set at 15-Nov-2026"
    ]
    assert _allocate(
        sdk, tenant, good.credit_note_id, invoice.invoice_id, 1.0, date=dt.date(2026, 11, 16)
    ).amount == Decimal("1.00")
    assert testing.invoices(organisation=tenant)[0]["AmountCredited"] == 1.0


def test_a_credited_invoice_keeps_its_lines_and_cannot_be_voided(sdk, tenant):
    invoice = _sale(sdk, tenant, "INV-300", 20.0)
    note = _notes(sdk, tenant, _note(None, 5.0))[0]
    _allocate(sdk, tenant, note.credit_note_id, invoice.invoice_id, 3.0)
    void = sdk.accounting.update_or_create_invoices(
        tenant,
        Invoices(invoices=[Invoice(invoice_id=invoice.invoice_id, status="VOIDED")]),
        summarize_errors=False,
        _request_timeout=T,
    ).invoices[0]
    assert _messages(void) == ["This document cannot be edited as it has a payment or credit note allocated to it."]
    lines = CreditNote(credit_note_id=note.credit_note_id, line_items=_lines(1.0))
    edit = sdk.accounting.update_or_create_credit_notes(
        tenant, CreditNotes(credit_notes=[lines]), summarize_errors=False, _request_timeout=T
    ).credit_notes[0]
    assert _messages(edit) == ["This document cannot be edited as it has a payment or credit note allocated to it."]


def test_an_allocation_retried_with_its_idempotency_key_is_applied_once_and_logged(sdk, tenant):
    invoice = _sale(sdk, tenant, "INV-400", 20.0)
    note = _notes(sdk, tenant, _note(None, 10.0))[0]
    first = _allocate(sdk, tenant, note.credit_note_id, invoice.invoice_id, 3.0, key="alloc-1")
    again = _allocate(sdk, tenant, note.credit_note_id, invoice.invoice_id, 3.0, key="alloc-1")
    assert first.allocation_id == again.allocation_id
    assert testing.invoices(organisation=tenant)[0]["AmountCredited"] == 3.0
    path = f"/CreditNotes/{note.credit_note_id}/Allocations"
    assert testing.request_count(organisation=tenant, method="PUT", path_contains=path, status=200) == 2


def test_credit_notes_need_the_invoices_scope(xero_sandbox, sandbox_app, sandbox_org, tenant):
    testing.limits_reset()
    contacts_only = testing.token_issue(app=sandbox_app, organisations=[sandbox_org], scopes=["accounting.contacts"])
    sdk = Sdk(base=xero_sandbox, app=sandbox_app, token=contacts_only)
    with pytest.raises(HTTPStatusException) as refused:
        sdk.accounting.get_credit_notes(tenant, _request_timeout=T)
    assert (refused.value.status, json.loads(refused.value.body)["Detail"]) == (401, "AuthorizationUnsuccessful")
    reader = testing.token_issue(app=sandbox_app, organisations=[sandbox_org], scopes=["accounting.invoices.read"])
    headers = {
        "Authorization": f"Bearer {reader['access_token']}",
        "xero-tenant-id": tenant,
        "Accept": "application/json",
    }
    listed = requests.get(f"{xero_sandbox}/api/api.xro/2.0/CreditNotes", headers=headers, timeout=T)
    assert (listed.status_code, listed.json()["CreditNotes"]) == (200, [])
    written = requests.put(
        f"{xero_sandbox}/api/api.xro/2.0/CreditNotes", json={"CreditNotes": []}, headers=headers, timeout=T
    )
    assert written.status_code == 401


def test_credit_notes_follow_the_lock_date_and_the_status_rules(sdk, tenant):
    (posted,) = _notes(sdk, tenant, _note(None, 5.0))
    testing.lock_date_set(organisation=tenant, lock_date=dt.date(2026, 11, 10))
    locked, draft = _notes(sdk, tenant, _note(None, 5.0), _note(None, 5.0, status="DRAFT"))
    assert _messages(locked) == [
        "The document date cannot be before the period lock date, currently set at 10-Nov-2026"
    ]
    assert (draft.status_attribute_string, draft.status) == ("OK", "DRAFT")
    void = CreditNote(credit_note_id=posted.credit_note_id, status="VOIDED")
    (refused,) = sdk.accounting.update_or_create_credit_notes(
        tenant, CreditNotes(credit_notes=[void]), summarize_errors=False, _request_timeout=T
    ).credit_notes
    assert _messages(refused) == [
        "The document date cannot be before the period lock date, currently set at 10-Nov-2026"
    ]
    testing.lock_date_set(organisation=tenant, lock_date=None)
    whole = sdk.accounting.get_credit_note(tenant, posted.credit_note_id, _request_timeout=T).credit_notes[0]
    whole.status = "VOIDED"
    (full_body,) = sdk.accounting.update_or_create_credit_notes(
        tenant, CreditNotes(credit_notes=[whole]), summarize_errors=False, _request_timeout=T
    ).credit_notes
    assert _messages(full_body) == [
        "A change to status VOIDED must be sent with only the document's ID (or number) and Status."
    ]
    (voided,) = sdk.accounting.update_or_create_credit_notes(
        tenant, CreditNotes(credit_notes=[void]), _request_timeout=T
    ).credit_notes
    assert (voided.status, voided.total) == ("VOIDED", Decimal("6.00"))

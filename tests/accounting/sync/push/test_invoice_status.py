"""A change to an invoice Xero already holds follows what Xero holds now: a bookkeeper may have
approved the draft, paid it or allocated a credit note in Xero since it was sent.

Real sandbox over HTTP (whose status rules are Xero's); what Xero holds is staged in the sandbox
as a bookkeeper's action would leave it.
"""

from __future__ import annotations

import json

import pytest

from accounting.sync.models import AttemptOutcome, SyncState
from stores.services import invoice_update
from tests.accounting.sync.conftest import connect_channel
from tests.accounting.sync.turns import drain, one_line, row_of
from tests.factories import InvoiceFactory
from xero_sandbox import testing
from xero_sandbox.models import Invoice as SandboxInvoice
from xero_sandbox.models import RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def held(org, number: str) -> tuple[str, str]:
    [found] = [i for i in testing.invoices(organisation=org.tenant_id) if i["InvoiceNumber"] == number]
    return found["Status"], str(found["Total"])


def bookkeeper_sets(org, number: str, **fields) -> None:
    SandboxInvoice.objects.filter(organisation__tenant_id=org.tenant_id, invoice_number=number).update(**fields)


def bookkeeper_credits(org, *, number: str, amount: str) -> None:
    """Allocate a credit note to the invoice in Xero, over the API as a bookkeeper's tool would."""
    from xero_python.accounting.models import (
        Allocation,
        Allocations,
        Contact,
        CreditNote,
        CreditNotes,
        LineAmountTypes,
        LineItem,
    )  # fmt: skip
    from xero_python.accounting.models import Invoice as XeroInvoice

    from accounting.providers.xero.client import XeroClient

    client = XeroClient(access_token=org.token_set["access_token"], tenant_id=org.tenant_id)
    [invoice] = client.invoices_by_number(numbers=[number])
    note = CreditNote(
        type="ACCRECCREDIT", contact=Contact(contact_id=invoice.contact.contact_id), date=invoice.date,
        status="AUTHORISED", line_amount_types=LineAmountTypes("NoTax"), currency_code=invoice.currency_code,
        line_items=[LineItem(description="Goodwill", quantity=1, unit_amount=float(amount), account_code="200")],
    )  # fmt: skip
    [created] = client._call(
        client._api.create_credit_notes, credit_notes=CreditNotes(credit_notes=[note])
    ).credit_notes
    allocation = Allocation(invoice=XeroInvoice(invoice_id=invoice.invoice_id), amount=float(amount), date=invoice.date)
    client._call(
        client._api.create_credit_note_allocation,
        credit_note_id=created.credit_note_id,
        allocations=Allocations(allocations=[allocation]),
    )


def invoice_posts(org) -> list[dict]:
    """Return the invoices of every POST /Invoices (updates) the sandbox received, in order."""
    rows = RequestLog.objects.filter(organisation__tenant_id=org.tenant_id, method="POST", path__endswith="/Invoices")
    return [invoice for row in rows.order_by("pk") for invoice in json.loads(row.request_body)["Invoices"]]


def test_an_edit_after_a_bookkeeper_approved_the_draft_in_xero_keeps_it_approved(org):
    channel = connect_channel(org=org, invoice_status="DRAFT")
    invoice = InvoiceFactory.create(store=channel.store, number="S-1")
    drain(channel)
    bookkeeper_sets(org, "S-1", status="AUTHORISED")

    invoice_update(invoice=invoice, lines=one_line("Bigger order", "250.00"))
    drain(channel)

    assert held(org, "S-1") == ("AUTHORISED", "250.0")
    [update] = invoice_posts(org)
    assert "Status" not in update  # never DRAFT onto AUTHORISED: Xero keeps what it holds
    row = row_of(channel, invoice)
    assert (row.state, row.xero_status) == (SyncState.SYNCED, "AUTHORISED")


def test_a_draft_issued_in_the_store_is_approved_in_xero(org):
    channel = connect_channel(org=org, invoice_status="AUTHORISED")
    invoice = InvoiceFactory.create(store=channel.store, number="S-2", status="draft")
    drain(channel)
    assert held(org, "S-2")[0] == "DRAFT"

    invoice_update(invoice=invoice, status="issued")
    drain(channel)

    assert held(org, "S-2")[0] == "AUTHORISED"
    assert [u["Status"] for u in invoice_posts(org)] == ["AUTHORISED"]


def test_a_store_void_sends_only_invoice_id_and_status_by_what_xero_holds(org):
    channel = connect_channel(org=org, invoice_status="DRAFT")
    approved = InvoiceFactory.create(store=channel.store, number="S-3")
    draft = InvoiceFactory.create(store=channel.store, number="S-4")
    drain(channel)
    bookkeeper_sets(org, "S-3", status="AUTHORISED")  # the portal last saw it as DRAFT

    invoice_update(invoice=approved, status="void")
    invoice_update(invoice=draft, status="void")
    drain(channel)

    assert held(org, "S-3")[0] == "VOIDED"
    assert held(org, "S-4")[0] == "DELETED"
    posts = invoice_posts(org)
    assert sorted(p["Status"] for p in posts) == ["DELETED", "VOIDED"]
    assert {key for p in posts for key in p} <= {"InvoiceID", "Status", "HasAttachments", "HasErrors"}
    assert {(row_of(channel, i).state, row_of(channel, i).xero_status) for i in (approved, draft)} == {
        (SyncState.SYNCED, "VOIDED"),
        (SyncState.SYNCED, "DELETED"),
    }


def test_a_change_to_an_invoice_paid_in_xero_fails_with_why_and_is_not_sent(org):
    channel = connect_channel(org=org)
    invoice = InvoiceFactory.create(store=channel.store, number="S-5")
    drain(channel)
    testing.invoice_mark_paid(organisation=org.tenant_id, invoice_number="S-5")

    invoice_update(invoice=invoice, lines=one_line("Changed after payment", "99.00"))
    drain(channel)
    drain(channel)  # final: a further turn sends nothing

    row = row_of(channel, invoice)
    assert (row.state, row.xero_status) == (SyncState.FAILED, "PAID")
    assert row.last_error == (
        "Xero holds this invoice as PAID, so it cannot be changed or voided: remove its payment in Xero first, "
        "or refund it with a credit note."
    )
    assert [a.outcome for a in row.attempts.all()][:1] == [AttemptOutcome.LOCAL]
    assert invoice_posts(org) == []
    assert held(org, "S-5")[0] == "PAID"


def test_voiding_an_invoice_with_a_credit_note_allocated_in_xero_fails_with_why(org):
    channel = connect_channel(org=org)
    invoice = InvoiceFactory.create(store=channel.store, number="S-6")
    drain(channel)
    bookkeeper_credits(org, number="S-6", amount="5.00")
    assert testing.invoices(organisation=org.tenant_id)[0]["AmountCredited"] == 5.0

    invoice_update(invoice=invoice, status="void")
    drain(channel)

    row = row_of(channel, invoice)
    assert (row.state, row.last_error) == (
        SyncState.FAILED,
        "This invoice has a payment or credit note allocated in Xero, so it cannot be voided: remove the "
        "allocation in Xero first.",
    )
    assert invoice_posts(org) == []
    assert held(org, "S-6")[0] == "AUTHORISED"

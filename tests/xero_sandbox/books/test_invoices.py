"""Invoices through the official SDK: batches answered per element, totals, lookups, idempotency."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
from xero_python.accounting import Contact, CurrencyCode, Invoice, Invoices, LineAmountTypes, LineItem
from xero_python.exceptions import AccountingBadRequestException

from xero_sandbox import testing
from xero_sandbox.models import Invoice as SandboxInvoice

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20


def _invoice(number: str, *, status="AUTHORISED", account="200", lines=None, contact="Jane Buyer", **extra) -> Invoice:
    if lines is None:
        lines = [LineItem(description="Widget", quantity=2.0, unit_amount=10.0, account_code=account)]
    return Invoice(
        type="ACCREC",
        contact=Contact(name=contact) if contact else None,
        date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 12, 2),
        invoice_number=number,
        reference=f"Order {number}",
        status=status,
        line_items=lines,
        **extra,
    )


def test_batch_of_50_with_invalid_invoices_answers_every_element_and_writes_the_valid_ones(sdk, tenant):
    sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice("INV-TAKEN")]), _request_timeout=T)
    invalid = {
        3: (_invoice("INV-TAKEN"), "Invoice # must be unique."),
        7: (_invoice("INV-0001"), "Invoice # must be unique."),  # repeats element 0's number
        11: (
            _invoice("BAD-11", lines=[LineItem(item_code="NOPE", quantity=1.0, unit_amount=5.0, account_code="200")]),
            "Item code 'NOPE' is not valid",
        ),
        15: (_invoice("BAD-15", account="999"), "Account code '999' is not a valid code for this document."),
        19: (_invoice("BAD-19", account="265"), "Account code '265' is not a valid code for this document."),
        23: (_invoice("BAD-23", account="090"), "Account code '090' is not a valid code for this document."),
        27: (
            _invoice("BAD-27", lines=[LineItem(description="No account", quantity=1.0, unit_amount=5.0)]),
            "Account code or ID must be specified",
        ),
        31: (_invoice("BAD-31", contact=None), "A Contact must be specified for this type of transaction"),
        35: (_invoice("BAD-35", lines=[]), "One or more line items must be specified"),
        39: (_invoice("BAD-39", currency_code=CurrencyCode.AUD), "Organisation is not subscribed to currency AUD"),
    }
    batch = [invalid[i][0] if i in invalid else _invoice(f"INV-{i + 1:04d}") for i in range(50)]

    answer = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=batch), summarize_errors=False, _request_timeout=T
    )

    assert len(answer.invoices) == 50
    for index, element in enumerate(answer.invoices):
        if index in invalid:
            assert element.status_attribute_string == "ERROR", index
            assert element.has_errors is True
            assert [e.message for e in element.validation_errors] == [invalid[index][1]], index
            assert str(element.invoice_id) == "00000000-0000-0000-0000-000000000000", index
        else:
            assert element.status_attribute_string == "OK", index
            assert element.invoice_number == f"INV-{index + 1:04d}"
            assert element.total == Decimal("24.00")
            assert element.invoice_id is not None
    stored = testing.invoices(organisation=tenant)
    assert len(stored) == 41
    assert sorted(i["InvoiceNumber"] for i in stored)[:3] == ["INV-0001", "INV-0002", "INV-0003"]
    assert "BAD-11" not in {i["InvoiceNumber"] for i in stored}


def test_default_summarize_errors_answers_400_and_still_writes_the_valid_invoice(sdk, tenant):
    with pytest.raises(AccountingBadRequestException) as refused:
        sdk.accounting.create_invoices(
            tenant, Invoices(invoices=[_invoice("INV-A"), _invoice("INV-B", account="999")]), _request_timeout=T
        )
    body = json.loads(refused.value.body)
    assert body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    assert [e["ValidationErrors"] for e in body["Elements"]] == [
        [{"Message": "Account code '999' is not a valid code for this document."}]
    ]
    assert [i["InvoiceNumber"] for i in testing.invoices(organisation=tenant)] == ["INV-A"]


def test_tax_is_rounded_per_line_then_summed(sdk, tenant):
    lines = [LineItem(description=f"Part {n}", quantity=1.0, unit_amount=0.63, account_code="200") for n in range(3)]
    exclusive = _invoice("INV-ROUND", lines=lines)
    inclusive = _invoice(
        "INV-INCL",
        lines=[LineItem(description="Gift", quantity=1.0, unit_amount=10.0, account_code="200")],
        line_amount_types=LineAmountTypes.INCLUSIVE,
    )
    answer = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[exclusive, inclusive]), summarize_errors=False, _request_timeout=T
    )
    first, second = answer.invoices
    assert (first.sub_total, first.total_tax, first.total) == (Decimal("1.89"), Decimal("0.39"), Decimal("2.28"))
    assert [line.tax_amount for line in first.line_items] == [Decimal("0.13")] * 3
    assert first.line_items[0].tax_type == "OUTPUT2"
    assert (second.sub_total, second.total_tax, second.total) == (Decimal("8.33"), Decimal("1.67"), Decimal("10.00"))
    assert first.date == dt.date(2026, 11, 2)
    assert first.due_date == dt.date(2026, 12, 2)
    assert first.amount_due == Decimal("2.28")


def test_lookup_by_invoice_numbers_where_and_paging(sdk, tenant):
    sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[_invoice(f"INV-{n:03d}") for n in range(1, 6)]), _request_timeout=T
    )
    found = sdk.accounting.get_invoices(tenant, invoice_numbers=["INV-002", "INV-004"], _request_timeout=T)
    assert sorted(i.invoice_number for i in found.invoices) == ["INV-002", "INV-004"]
    where = sdk.accounting.get_invoices(tenant, where='Reference=="Order INV-005"', _request_timeout=T)
    assert [i.invoice_number for i in where.invoices] == ["INV-005"]
    page = sdk.accounting.get_invoices(tenant, page=2, page_size=2, _request_timeout=T)
    assert [i.invoice_number for i in page.invoices] == ["INV-003", "INV-004"]
    assert (page.pagination.page, page.pagination.page_count, page.pagination.item_count) == (2, 3, 5)
    one = sdk.accounting.get_invoice(tenant, found.invoices[0].invoice_id, _request_timeout=T)
    assert one.invoices[0].line_items[0].description == "Widget"


def test_post_updates_an_existing_invoice_by_number(sdk, tenant):
    sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice("INV-UP", status="DRAFT")]), _request_timeout=T)
    changed = _invoice(
        "INV-UP", lines=[LineItem(description="Bigger", quantity=3.0, unit_amount=10.0, account_code="200")]
    )
    answer = sdk.accounting.update_or_create_invoices(
        tenant, Invoices(invoices=[changed]), summarize_errors=False, _request_timeout=T
    )
    assert (answer.invoices[0].status_attribute_string, answer.invoices[0].total) == ("OK", Decimal("36.00"))
    stored = testing.invoices(organisation=tenant)
    assert [(i["InvoiceNumber"], i["Status"], i["Total"]) for i in stored] == [("INV-UP", "AUTHORISED", 36.0)]


def test_idempotency_key_replays_the_first_answer_without_a_second_write(sdk, tenant):
    batch = Invoices(invoices=[_invoice("INV-IDEM")])
    first = sdk.accounting.create_invoices(
        tenant, batch, summarize_errors=False, idempotency_key="k-1", _request_timeout=T
    )
    again = sdk.accounting.create_invoices(
        tenant, batch, summarize_errors=False, idempotency_key="k-1", _request_timeout=T
    )
    assert again.invoices[0].invoice_id == first.invoices[0].invoice_id
    assert again.invoices[0].status_attribute_string == "OK"
    assert SandboxInvoice.objects.count() == 1

    with pytest.raises(AccountingBadRequestException) as refused:
        sdk.accounting.create_invoices(
            tenant,
            Invoices(invoices=[_invoice("INV-OTHER")]),
            summarize_errors=False,
            idempotency_key="k-1",
            _request_timeout=T,
        )
    assert (
        json.loads(refused.value.body)["Message"]
        == "The Idempotency-Key has already been used with a different request."
    )
    assert SandboxInvoice.objects.count() == 1


def test_two_concurrent_creates_of_one_number_make_exactly_one_invoice(sdk, xero_sandbox, tenant):
    body = json.dumps(
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"Name": "Race Ltd"},
                    "InvoiceNumber": "INV-RACE",
                    "Status": "AUTHORISED",
                    "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200"}],
                }
            ]
        }
    )
    headers = {
        "Authorization": f"Bearer {sdk.token['access_token']}",
        "xero-tenant-id": tenant,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    def put(_):
        return requests.put(
            f"{xero_sandbox}/api/api.xro/2.0/Invoices?summarizeErrors=false", data=body, headers=headers, timeout=T
        ).json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(put, range(2)))
    statuses = sorted(a["Invoices"][0]["StatusAttributeString"] for a in answers)
    assert statuses == ["ERROR", "OK"]
    assert SandboxInvoice.objects.filter(invoice_number="INV-RACE").count() == 1
    assert len(testing.contacts(organisation=tenant)) == 1


def test_sales_invoices_without_a_number_are_numbered_like_xero_skipping_used_numbers(sdk, tenant):
    batch = [_invoice(""), _invoice("INV-0002"), _invoice("")]
    answer = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=batch), summarize_errors=False, _request_timeout=T
    )
    assert [i.invoice_number for i in answer.invoices] == ["INV-0001", "INV-0002", "INV-0003"]
    later = sdk.accounting.create_invoices(tenant, Invoices(invoices=[_invoice("")]), _request_timeout=T)
    assert later.invoices[0].invoice_number == "INV-0004"


def test_status_changes_follow_xeros_rules(sdk, tenant):
    sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[_invoice("INV-V"), _invoice("INV-D", status="DRAFT")]), _request_timeout=T
    )
    changes = [
        Invoice(invoice_number="INV-V", status="DELETED"),
        Invoice(invoice_number="INV-V", status="VOIDED"),
        Invoice(invoice_number="INV-D", status="DELETED"),
    ]
    answer = sdk.accounting.update_or_create_invoices(
        tenant, Invoices(invoices=changes), summarize_errors=False, _request_timeout=T
    )
    assert [e.message for e in answer.invoices[0].validation_errors] == ["Invoice not of valid status for modification"]
    assert [(i.invoice_number, i.status, i.status_attribute_string) for i in answer.invoices[1:]] == [
        ("INV-V", "VOIDED", "OK"),
        ("INV-D", "DELETED", "OK"),
    ]
    edit = sdk.accounting.update_or_create_invoices(
        tenant,
        Invoices(invoices=[Invoice(invoice_number="INV-V", reference="late")]),
        summarize_errors=False,
        _request_timeout=T,
    )
    assert [e.message for e in edit.invoices[0].validation_errors] == ["Invoice not of valid status for modification"]


def test_order_sorts_the_invoice_list(sdk, tenant):
    batch = [_invoice(number) for number in ("INV-B", "INV-C", "INV-A")]
    sdk.accounting.create_invoices(tenant, Invoices(invoices=batch), _request_timeout=T)
    found = sdk.accounting.get_invoices(tenant, order="InvoiceNumber DESC", _request_timeout=T)
    assert [i.invoice_number for i in found.invoices] == ["INV-C", "INV-B", "INV-A"]

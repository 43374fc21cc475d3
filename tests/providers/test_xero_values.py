"""Xero's values named once: statuses, classes and types compare with what Xero answers, and
`text()` reads an SDK enum or a plain string alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from xero_python.accounting.models import AccountType as SdkAccountType
from xero_python.accounting.models import CurrencyCode, LineAmountTypes
from xero_python.api_client.serializer import serialize

from accounting.providers.xero import mapping
from accounting.providers.xero.values import CLOSED, AccountType, RecordStatus, XeroStatus, text


def test_text_unwraps_the_sdks_enums():
    assert text(SdkAccountType.BANK) == "BANK" == AccountType.BANK
    assert text(CurrencyCode("GBP")) == "GBP"
    assert text(LineAmountTypes("NoTax")) == "NoTax"


def test_text_keeps_plain_strings_and_reads_nothing_as_empty():
    assert (text("PAID"), text(""), text(None)) == ("PAID", "", "")


def test_text_of_a_named_value_is_a_plain_string():
    assert type(text(XeroStatus.PAID)) is str
    assert text(XeroStatus.PAID) == "PAID"


def test_named_values_compare_with_xeros_text():
    assert XeroStatus.AUTHORISED == "AUTHORISED"
    assert "VOIDED" in CLOSED and "DELETED" in CLOSED and "PAID" not in CLOSED
    assert {"ACTIVE": 1}.get(RecordStatus.ACTIVE) == 1


def test_builders_give_the_sdk_plain_strings():
    """A named value reaches the SDK as its text, so what is sent and hashed is Xero's word."""
    change = mapping.status_change_payload(invoice_id="inv-1", status=XeroStatus.VOIDED)
    reactivate = mapping.contact_reactivation_payload(contact_id="c-1")
    note = mapping.credit_note_payload(
        contact_id="c-1", date=dt.date(2026, 1, 5), number="INV-1-CN1", reference="Refund", currency_code="GBP",
        lines=[mapping.CreditLine(description="Refund: 1 × Tea", amount=Decimal("12.00"), account_code="200",
                                  tax_type="OUTPUT2")],
        no_tax=False,
    )  # fmt: skip

    assert (serialize(change)["InvoiceID"], serialize(change)["Status"]) == ("inv-1", "VOIDED")
    assert type(change.status) is str
    assert (serialize(reactivate)["ContactID"], serialize(reactivate)["ContactStatus"]) == ("c-1", "ACTIVE")
    sent = serialize(note)
    assert (sent["Type"], sent["Status"], sent["LineAmountTypes"], sent["CurrencyCode"]) == (
        "ACCRECCREDIT", "AUTHORISED", "Inclusive", "GBP",
    )  # fmt: skip
    assert sent["LineItems"] == [
        {"Description": "Refund: 1 × Tea", "Quantity": 1, "UnitAmount": 12.0, "AccountCode": "200",
         "TaxType": "OUTPUT2"},
    ]  # fmt: skip

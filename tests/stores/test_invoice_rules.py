"""The invoice rules of stores.services: voids, line kinds and changes once money moved.

Every refusal is a ValidationError naming the field, and leaves the database as it was."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from stores.models import Invoice, InvoiceStatus, Payment, RefundLine, TaxMode
from stores.payments import payment_record, refund_record
from stores.services import invoice_update, invoice_void
from tests.factories import AccountingChannelFactory, InvoiceFactory, StoreFactory
from tests.stores.invoices import DAY, _invoice, _lines, _refused

pytestmark = pytest.mark.django_db


def test_void_sets_when_and_then_the_invoice_is_fixed():
    invoice = _invoice()
    when = datetime.datetime(2026, 11, 5, 9, 30, tzinfo=datetime.UTC)
    invoice = invoice_void(invoice=invoice, when=when)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.voided_at) == ("void", when)
    assert _refused(invoice_void, invoice=invoice) == {"status": ["This invoice is already void."]}
    assert _refused(invoice_update, invoice=invoice, customer_name="Changed") == {
        "__all__": ["A void invoice cannot be changed."]
    }


def test_setting_void_through_a_change_voids_with_a_date():
    invoice = invoice_update(invoice=_invoice(), status=InvoiceStatus.VOID)
    assert invoice.status == "void" and invoice.voided_at is not None


def test_a_paid_invoice_cannot_change_and_paid_is_never_set_by_hand():
    invoice = _invoice()
    assert _refused(invoice_update, invoice=invoice, status=InvoiceStatus.PAID) == {
        "status": ["An invoice becomes paid when its payments cover the total: record a payment instead."]
    }
    payment_record(invoice=invoice, amount=Decimal("24.00"), date=DAY, method="card")
    assert _refused(invoice_update, invoice=invoice, customer_name="Changed") == {
        "__all__": ["A paid invoice cannot be changed."]
    }
    invoice.refresh_from_db()
    assert invoice.customer_name == "Ada"


def test_lines_are_fixed_once_money_moved():
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("5.00"), date=DAY, method="card")
    errors = _refused(invoice_update, invoice=invoice, lines=_lines())
    assert errors == {"lines": ["This invoice has payments or refunds: its lines and tax mode can no longer change."]}
    errors = _refused(invoice_update, invoice=invoice, tax_mode=TaxMode.INCLUSIVE)
    assert errors == {"tax_mode": ["This invoice has payments or refunds: its tax mode can no longer change."]}
    # Other details still can.
    assert invoice_update(invoice=invoice, customer_email="ada@example.com").customer_email == "ada@example.com"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"number": "TAKEN"}, {"number": ["This store already has an invoice numbered TAKEN."]}),
        (
            {"due_date": DAY - datetime.timedelta(days=1)},
            {"due_date": ["The due date cannot be before the issue date."]},
        ),
        ({"lines": []}, {"lines": ["An invoice needs at least one line."]}),
        (
            {"lines": _lines({"kind": "discount", "description": "Code", "quantity": 1, "unit_price": Decimal("5")})},
            {"lines": ["Line 2: unit price: A discount line takes money off: its unit price must be negative."]},
        ),
        (
            {"lines": _lines({"kind": "shipping", "description": "Ship", "quantity": 1, "unit_price": Decimal("-1")})},
            {
                "lines": [
                    "Line 2: unit price: The unit price cannot be negative (use a discount or gift card redeemed line)."
                ]
            },
        ),
        (
            {"lines": _lines({"kind": "discount", "description": "Code", "quantity": 1, "unit_price": Decimal("-30")})},
            {"lines": ["The invoice total cannot be below zero."]},
        ),
        (
            {"status": "paid"},
            {"status": ["An invoice becomes paid when its payments cover the total: record a payment instead."]},
        ),
    ],
)
def test_invoice_rules_refuse_and_save_nothing(fields, errors):
    store = StoreFactory.create()
    InvoiceFactory.create(store=store, number="TAKEN")
    assert _refused(_invoice, store=store, **fields) == errors
    assert list(Invoice.objects.values_list("number", flat=True)) == ["TAKEN"]


def test_discount_and_gift_card_lines_reduce_the_total():
    invoice = _invoice(
        lines=_lines(
            {"kind": "discount", "description": "WELCOME", "quantity": 1, "unit_price": Decimal("-5"), "tax_rate": 20},
            {"kind": "gift_card_redeemed", "description": "Gift card", "quantity": 1, "unit_price": Decimal("-10")},
        )
    )
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (Decimal("5.00"), Decimal("3.00"), Decimal("8.00"))
    assert list(invoice.lines.values_list("kind", flat=True)) == ["product", "discount", "gift_card_redeemed"]


def test_changing_the_tax_mode_recomputes_the_lines():
    invoice = invoice_update(invoice=_invoice(), tax_mode=TaxMode.INCLUSIVE)
    invoice.refresh_from_db()
    # 2 × 10.00 tax inclusive at 20%: 20.00 of which 3.33 tax.
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (Decimal("16.67"), Decimal("3.33"), Decimal("20.00"))


def test_payments_and_refunds_reach_the_sync_ledger_through_their_invoice():
    from accounting.sync.models import RecordKind, SyncRecord

    store = StoreFactory.create()
    AccountingChannelFactory.create(store=store)
    invoice = _invoice(store=store)
    payment_record(invoice=invoice, amount=Decimal("24.00"), date=DAY, method="card")
    refund_record(invoice=invoice, amount=Decimal("4.00"), date=DAY, method="card")
    rows = SyncRecord.objects.filter(kind=RecordKind.INVOICE, object_id=invoice.pk)
    assert rows.count() == 1


def test_an_invoice_with_refunded_lines_can_still_be_deleted_with_its_store():
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("24.00"), date=DAY, method="card")
    refund_record(
        invoice=invoice, date=DAY, method="card", lines=[{"invoice_line": invoice.lines.get(), "quantity": 1}]
    )
    invoice.store.delete()
    assert (Invoice.objects.count(), Payment.objects.count(), RefundLine.objects.count()) == (0, 0, 0)

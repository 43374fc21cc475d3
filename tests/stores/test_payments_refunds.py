"""The invoice rules of stores.services and stores.payments: payments and refunds.

Every refusal is a ValidationError naming the field, and leaves the database as it was."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stores.models import LineKind, Payment, Refund, RefundLine
from stores.payments import payment_record, refund_record
from tests.stores.invoices import DAY, _invoice, _lines, _refused

pytestmark = pytest.mark.django_db


def test_partial_payments_then_the_rest_make_the_invoice_paid():
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="card", reference="ch_1")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("issued", Decimal("10.00"), Decimal("14.00"))
    assert invoice.paid_at is None

    payment_record(invoice=invoice, amount=Decimal("14.00"), date=DAY, method="paypal")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", Decimal("24.00"), Decimal("0.00"))
    assert invoice.paid_at is not None
    assert list(invoice.payments.values_list("method", "amount")) == [
        ("card", Decimal("10.00")),
        ("paypal", Decimal("14.00")),
    ]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("24.01"), "The amount due is 24.00 GBP: pay at most that."),
        (Decimal("0"), "The amount must be more than zero."),
        (Decimal("-5"), "The amount must be more than zero."),
        (Decimal("1.005"), "Give the amount in cents at most (2 decimal places)."),
    ],
)
def test_a_payment_is_more_than_zero_and_never_more_than_the_amount_due(amount, message):
    invoice = _invoice()
    assert _refused(payment_record, invoice=invoice, amount=amount, date=DAY, method="card") == {"amount": [message]}
    invoice.refresh_from_db()
    assert (Payment.objects.count(), invoice.amount_paid, invoice.status) == (0, Decimal("0.00"), "issued")


def test_a_payment_needs_a_method():
    invoice = _invoice()
    errors = _refused(payment_record, invoice=invoice, amount=Decimal("1"), date=DAY, method=" ")
    assert errors == {"method": ["This field cannot be blank."]}
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(("status", "message"), [("draft", "issue it first"), ("void", "A void invoice")])
def test_draft_and_void_invoices_take_no_payments_or_refunds(status, message):
    invoice = _invoice(status=status)
    errors = _refused(payment_record, invoice=invoice, amount=Decimal("1"), date=DAY, method="card")
    assert message in errors["__all__"][0]
    errors = _refused(refund_record, invoice=invoice, amount=Decimal("1"), date=DAY)
    assert message in errors["__all__"][0]
    assert (Payment.objects.count(), Refund.objects.count()) == (0, 0)


def test_a_payment_from_xero_is_recorded_once():
    invoice = _invoice()
    first = payment_record(
        invoice=invoice, amount=Decimal("24.00"), date=DAY, method="xero", source="xero", xero_payment_id="p-1"
    )
    again = payment_record(
        invoice=invoice, amount=Decimal("24.00"), date=DAY, method="xero", source="xero", xero_payment_id="p-1"
    )
    assert again.pk == first.pk
    invoice.refresh_from_db()
    assert (Payment.objects.count(), invoice.amount_paid, invoice.status) == (1, Decimal("24.00"), "paid")


def test_a_credit_only_refund_lowers_the_amount_due_but_never_below_zero():
    invoice = _invoice()
    refund_record(invoice=invoice, amount=Decimal("4.00"), date=DAY, reason="Damaged")
    invoice.refresh_from_db()
    assert (invoice.amount_credited, invoice.amount_refunded, invoice.amount_due) == (
        Decimal("4.00"),
        Decimal("0.00"),
        Decimal("20.00"),
    )
    payment_record(invoice=invoice, amount=Decimal("6.00"), date=DAY, method="card")
    errors = _refused(refund_record, invoice=invoice, amount=Decimal("14.01"), date=DAY)
    assert errors == {
        "method": [
            "A credit without money back can be at most the amount due (14.00 GBP): say how the money went back."
        ]
    }
    assert Refund.objects.count() == 1


def test_money_refunds_never_give_back_more_than_was_paid():
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="card")
    errors = _refused(refund_record, invoice=invoice, amount=Decimal("10.01"), date=DAY, method="card")
    assert errors == {"amount": ["Only 10.00 GBP was paid and not refunded: give back at most that."]}

    refund_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="card", reference="re_1")
    invoice.refresh_from_db()
    # Credited 10 and gave the 10 back: the customer still owes 14.
    assert (invoice.amount_paid, invoice.amount_credited, invoice.amount_refunded, invoice.amount_due) == (
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("14.00"),
    )


def test_a_partial_refund_credits_its_amount_and_returns_part_of_it_as_money():
    """24.00 invoiced, 10.00 paid by card; a refund of 20.00 of which 10.00 went back to the card:
    the other 10.00 lowers what is owed (14.00 → 4.00), the paid 10.00 is all given back."""
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="card")
    refund = refund_record(
        invoice=invoice, amount=Decimal("20.00"), amount_returned=Decimal("10.00"), date=DAY, method="card"
    )
    assert (refund.amount, refund.amount_returned, refund.amount_kept, refund.money_returned) == (
        Decimal("20.00"),
        Decimal("10.00"),
        Decimal("10.00"),
        True,
    )
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_credited, invoice.amount_refunded, invoice.amount_due) == (
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("10.00"),
        Decimal("4.00"),
    )
    # A method with nothing returned is a credit only.
    credit = refund_record(
        invoice=invoice, amount=Decimal("4.00"), amount_returned=Decimal("0"), date=DAY, method="card"
    )
    invoice.refresh_from_db()
    assert (credit.money_returned, invoice.amount_refunded, invoice.amount_due) == (
        False,
        Decimal("10.00"),
        Decimal("0.00"),
    )


def test_without_amount_returned_a_method_returns_it_all_and_no_method_none():
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="card")
    back = refund_record(invoice=invoice, amount=Decimal("6.00"), date=DAY, method="card")
    credit = refund_record(invoice=invoice, amount=Decimal("5.00"), date=DAY)
    assert [(r.amount_returned, r.money_returned) for r in (back, credit)] == [
        (Decimal("6.00"), True),
        (Decimal("0.00"), False),
    ]


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        ({"amount_returned": Decimal("-1")}, {"amount_returned": ["The money returned can not be below zero."]}),
        ({"amount_returned": "lots"}, {"amount_returned": ["Give an amount, e.g. 12.50."]}),
        (
            {"amount_returned": Decimal("1.001")},
            {"amount_returned": ["Give the amount in cents at most (2 decimal places)."]},
        ),
        (
            {"amount": Decimal("5.00"), "amount_returned": Decimal("6.00")},
            {"amount_returned": ["At most the refund's amount (5.00) can go back."]},
        ),
        (
            {"amount_returned": Decimal("3.00"), "method": ""},
            {"method": ["Say how the money went back (e.g. card), or return nothing."]},
        ),
        (
            {"amount": Decimal("12.00"), "amount_returned": Decimal("11.00")},
            {"amount_returned": ["Only 10.00 GBP was paid and not refunded: give back at most that."]},
        ),
        (
            {"amount": Decimal("20.00"), "amount_returned": Decimal("5.00")},
            {
                "amount_returned": [
                    "The part not returned (15.00 GBP) can be at most the amount due (14.00 GBP): return at least 6.00."
                ]
            },
        ),
    ],
    ids=["below-zero", "not-a-number", "sub-cent", "more-than-refund", "no-method", "more-than-paid", "too-much-kept"],
)
def test_the_money_returned_is_refused_outside_its_rules_and_nothing_is_saved(arguments, errors):
    invoice = _invoice()  # 24.00, 10.00 paid: 14.00 due
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=DAY, method="card")
    arguments = {"amount": Decimal("5.00"), "method": "card", **arguments}
    assert _refused(refund_record, invoice=invoice, date=DAY, **arguments) == errors
    invoice.refresh_from_db()
    assert (Refund.objects.count(), invoice.amount_credited, invoice.amount_refunded, invoice.amount_due) == (
        0,
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("14.00"),
    )


def test_refunds_never_credit_more_than_the_invoice_total():
    invoice = _invoice()
    payment_record(invoice=invoice, amount=Decimal("24.00"), date=DAY, method="card")
    refund_record(invoice=invoice, amount=Decimal("20.00"), date=DAY, method="card")
    errors = _refused(refund_record, invoice=invoice, amount=Decimal("4.01"), date=DAY, method="card")
    assert errors == {"amount": ["Only 4.00 GBP of this invoice is left to refund."]}
    refund_record(invoice=invoice, amount=Decimal("4.00"), date=DAY, method="card")
    invoice.refresh_from_db()
    # Fully refunded: paid, credited and given back in full, nothing due.
    assert (invoice.status, invoice.amount_credited, invoice.amount_due) == ("paid", Decimal("24.00"), Decimal("0.00"))


def test_refund_by_lines_takes_each_lines_share_and_never_more_than_is_left():
    shipping = {"kind": LineKind.SHIPPING, "description": "Delivery", "quantity": 1, "unit_price": Decimal("3.33")}
    invoice = _invoice(lines=_lines({**shipping, "tax_rate": Decimal("20")}))  # 24.00 + 3.33 + 0.67 = 28.00
    mug, delivery = invoice.lines.all()
    payment_record(invoice=invoice, amount=invoice.total, date=DAY, method="card")

    refund = refund_record(
        invoice=invoice, date=DAY, method="card", lines=[{"invoice_line": mug.pk, "quantity": Decimal("1")}]
    )
    assert (refund.amount, [(rl.invoice_line_id, rl.quantity, rl.amount) for rl in refund.lines.all()]) == (
        Decimal("12.00"),
        [(mug.pk, Decimal("1"), Decimal("12.00"))],
    )
    errors = _refused(
        refund_record, invoice=invoice, date=DAY, method="card", lines=[{"invoice_line": mug.pk, "quantity": 2}]
    )
    assert errors == {"lines": ["Line 1: only 1 of “Mug” is left to refund."]}

    # No quantity: the rest of the line, to the cent.
    rest = refund_record(
        invoice=invoice, date=DAY, method="card", lines=[{"invoice_line": mug}, {"invoice_line": delivery}]
    )
    assert rest.amount == Decimal("16.00")
    errors = _refused(refund_record, invoice=invoice, date=DAY, method="card", lines=[{"invoice_line": mug.pk}])
    assert errors == {"lines": ["Line 1: nothing is left to refund on “Mug”."]}
    invoice.refresh_from_db()
    assert (invoice.amount_credited, RefundLine.objects.count()) == (Decimal("28.00"), 3)


def test_refund_lines_must_be_lines_of_the_invoice():
    invoice = _invoice()
    other = _invoice(number="INV-2")
    errors = _refused(
        refund_record, invoice=invoice, date=DAY, lines=[{"invoice_line": other.lines.get().pk, "quantity": 1}]
    )
    assert errors == {"lines": [f"Line 1: this invoice has no line {other.lines.get().pk}."]}
    errors = _refused(refund_record, invoice=invoice, date=DAY, amount=Decimal("1"), lines=[])
    assert errors == {"amount": ["Give an amount or lines, not both."]}
    assert Refund.objects.count() == 0

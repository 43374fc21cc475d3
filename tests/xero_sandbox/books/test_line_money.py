"""How Xero computes and checks line money (LineAmount, discounts, per-line tax, 4 dp prices),
through the official SDK over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from xero_python.accounting import Contact, Invoice, Invoices, LineAmountTypes, LineItem

from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20


def _put(sdk, tenant, *invoices: Invoice, unitdp: int = 4):
    return sdk.accounting.create_invoices(
        tenant, Invoices(invoices=list(invoices)), summarize_errors=False, unitdp=unitdp, _request_timeout=T
    ).invoices


def _invoice(number: str, lines: list[LineItem], *, amounts: str = "Exclusive", **extra) -> Invoice:
    return Invoice(
        type="ACCREC", contact=Contact(name="Jane Buyer"), invoice_number=number, status="AUTHORISED",
        line_amount_types=LineAmountTypes(amounts), line_items=lines, **extra,
    )  # fmt: skip


def _line(quantity: str, unit: str, *, tax: str = "OUTPUT2", account: str = "200", **extra) -> LineItem:
    return LineItem(
        description="Widget", quantity=Decimal(quantity), unit_amount=Decimal(unit), account_code=account,
        tax_type=tax, **extra,
    )  # fmt: skip


def _messages(element) -> list[str]:
    return [e.message for e in element.validation_errors or []]


def test_xero_rounds_tax_per_line_then_sums_exclusive_and_inclusive(sdk, sandbox_app):
    # Xero's "Rounding in Xero" guide: three NZ lines at 15%, tax 3.76 + 3.84 + 3.84 (per line)
    # = 11.44, where 15% of the 76.30 subtotal would be 11.45.
    nz = testing.organisation_create(name="Demo Company (NZ)", country="NZ")
    sdk.token.update(testing.token_issue(app=sandbox_app, organisations=[nz]))
    lines = [_line("1", p, tax="OUTPUT2") for p in ("25.06", "25.61", "25.63")]
    (exclusive,) = _put(sdk, str(nz.tenant_id), _invoice("EX-1", lines))
    assert (exclusive.sub_total, exclusive.total_tax, exclusive.total) == (
        Decimal("76.30"), Decimal("11.44"), Decimal("87.74"),
    )  # fmt: skip
    assert [li.tax_amount for li in exclusive.line_items] == [Decimal("3.76"), Decimal("3.84"), Decimal("3.84")]

    # Inclusive: the line amount is gross; tax = amount − amount / 1.15 per line, rounded.
    gross = [_line("1", p, tax="OUTPUT2") for p in ("28.82", "29.45", "29.47")]
    (inclusive,) = _put(sdk, str(nz.tenant_id), _invoice("IN-1", gross, amounts="Inclusive"))
    assert [li.tax_amount for li in inclusive.line_items] == [Decimal("3.76"), Decimal("3.84"), Decimal("3.84")]
    assert (inclusive.total, inclusive.total_tax, inclusive.sub_total) == (
        Decimal("87.74"), Decimal("11.44"), Decimal("76.30"),
    )  # fmt: skip
    assert inclusive.amount_due == inclusive.total


def test_four_dp_unit_prices_count_and_line_amounts_are_rounded_to_the_cent(sdk, tenant):
    (invoice,) = _put(sdk, tenant, _invoice("DP-1", [_line("3", "0.3333"), _line("7", "1.0049")]))
    assert [li.unit_amount for li in invoice.line_items] == [Decimal("0.3333"), Decimal("1.0049")]
    assert [li.line_amount for li in invoice.line_items] == [Decimal("1.00"), Decimal("7.03")]
    assert (invoice.sub_total, invoice.total_tax, invoice.total) == (Decimal("8.03"), Decimal("1.61"), Decimal("9.64"))

    # Without unitdp=4 Xero keeps 2 dp.
    (two,) = _put(sdk, tenant, _invoice("DP-2", [_line("3", "0.3333")]), unitdp=2)
    assert (two.line_items[0].unit_amount, two.line_items[0].line_amount) == (Decimal("0.33"), Decimal("0.99"))


def test_discount_rate_and_discount_amount_reduce_the_line_before_tax(sdk, tenant):
    (invoice,) = _put(
        sdk, tenant,
        _invoice("DS-1", [
            _line("3", "9.99", discount_rate=Decimal("12.5")), _line("2", "10.00", discount_amount=Decimal("3.33")),
        ]),
    )  # fmt: skip
    first, second = invoice.line_items
    assert (first.line_amount, first.tax_amount) == (Decimal("26.22"), Decimal("5.24"))  # 29.97 × 0.875 = 26.22375
    assert (second.line_amount, second.tax_amount) == (Decimal("16.67"), Decimal("3.33"))
    assert invoice.total == Decimal("51.46")
    assert invoice.is_discounted is True


def test_xero_refuses_a_line_amount_that_is_not_quantity_times_price_less_discount(sdk, tenant):
    wrong, right, derived = _put(
        sdk, tenant,
        _invoice("LA-1", [_line("3", "0.3333", line_amount=Decimal("1.01"))]),
        _invoice("LA-2", [_line("3", "0.3333", line_amount=Decimal("1.00"))]),
        _invoice("LA-3", [LineItem(description="Fee", quantity=Decimal("4"), line_amount=Decimal("10.00"),
                                   account_code="200", tax_type="OUTPUT2")]),
    )  # fmt: skip
    assert _messages(wrong) == ["The line total 1.01 does not match the expected line total 1.00"]
    assert right.status_attribute_string == "OK"
    assert (derived.line_items[0].unit_amount, derived.total) == (Decimal("2.5000"), Decimal("12.00"))


def test_xero_refuses_discounts_beyond_the_line_and_a_stated_total_that_is_not_the_lines_sum(sdk, tenant):
    over, negative, both, total = _put(
        sdk, tenant,
        _invoice("DA-1", [_line("1", "27.826", discount_amount=Decimal("27.826"))]),
        _invoice("DA-2", [_line("1", "50"), _line("1", "-5", discount_amount=Decimal("0"))]),
        _invoice("DA-3", [_line("1", "10", discount_rate=Decimal("10"), discount_amount=Decimal("1"))]),
        _invoice("DA-4", [_line("1", "10")], total=Decimal("12.01")),
    )  # fmt: skip
    too_much = "is invalid. Discount must not be greater than the line total."
    assert _messages(over) == [f"The discount rate '27.83' {too_much}"]
    assert _messages(negative) == [f"The discount rate '0.00' {too_much}"]
    assert _messages(both) == ["A line item may have a DiscountRate or a DiscountAmount, not both."]
    assert _messages(total) == ["The document total does not equal the sum of the lines."]
    assert testing.invoices(organisation=tenant) == []


def test_a_rounding_line_may_go_to_the_rounding_system_account_but_not_to_other_system_accounts(sdk, tenant):
    rounding, debtors = _put(
        sdk, tenant,
        _invoice("RD-1", [_line("1", "10"), _line("1", "-0.01", tax="NONE", account="860")]),
        _invoice("RD-2", [_line("1", "10"), _line("1", "-0.01", tax="NONE", account="610")]),
    )  # fmt: skip
    assert (rounding.status_attribute_string, rounding.total) == ("OK", Decimal("11.99"))
    assert _messages(debtors) == ["Account code '610' is not a valid code for this document."]

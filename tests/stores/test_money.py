from decimal import Decimal

import pytest

from stores.money import invoice_totals, line_amounts
from tests.factories import InvoiceFactory, InvoiceLineFactory


def test_tax_is_rounded_per_line_then_summed_like_xero():
    # 3 × 0.35 at 20% → 1.05 net, 0.21 tax; two such lines: 0.42 tax.
    # Taxing the 2.10 sum once would give the same here, so use 0.333…: 1 × 0.05 at 15%:
    line = line_amounts(
        quantity=Decimal("1"), unit_price=Decimal("0.05"), tax_rate=Decimal("15"), discount_rate=Decimal("0")
    )
    assert line.tax_amount == Decimal("0.01")  # 0.0075 rounds half-up to 0.01
    totals = invoice_totals([line, line, line])
    assert totals.total_tax == Decimal("0.03")  # per line; one tax on 0.15 would be 0.02
    assert totals.subtotal == Decimal("0.15")
    assert totals.total == Decimal("0.18")


def test_discount_applies_before_tax():
    line = line_amounts(
        quantity=Decimal("2"), unit_price=Decimal("19.99"), tax_rate=Decimal("20"), discount_rate=Decimal("10")
    )
    assert line.line_amount == Decimal("35.98")  # 39.98 less 10% = 35.982
    assert line.tax_amount == Decimal("7.20")  # 7.196


@pytest.mark.django_db
def test_invoice_totals_follow_its_lines():
    invoice = InvoiceFactory.create(lines=0)
    InvoiceLineFactory.create(
        invoice=invoice, quantity=Decimal("1"), unit_price=Decimal("0.05"), tax_rate=Decimal("15")
    )
    InvoiceLineFactory.create(
        invoice=invoice, quantity=Decimal("1"), unit_price=Decimal("0.05"), tax_rate=Decimal("15")
    )
    invoice.recalculate_totals()
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (Decimal("0.10"), Decimal("0.02"), Decimal("0.12"))


def test_inclusive_prices_carry_their_tax_worked_out_per_line_like_xero():
    # 3 × 9.99 = 29.97 tax inclusive at 15%: tax 29.97 − 29.97 / 1.15 = 3.909… → 3.91.
    line = line_amounts(
        quantity=Decimal("3"),
        unit_price=Decimal("9.99"),
        tax_rate=Decimal("15"),
        discount_rate=Decimal("0"),
        tax_mode="inclusive",
    )
    assert (line.line_amount, line.tax_amount, line.net_amount) == (Decimal("29.97"), Decimal("3.91"), Decimal("26.06"))
    totals = invoice_totals([line, line])
    assert (totals.subtotal, totals.total_tax, totals.total) == (Decimal("52.12"), Decimal("7.82"), Decimal("59.94"))


def test_no_tax_ignores_the_rate():
    line = line_amounts(
        quantity=Decimal("2"),
        unit_price=Decimal("10"),
        tax_rate=Decimal("20"),
        discount_rate=Decimal("0"),
        tax_mode="no_tax",
    )
    assert (line.line_amount, line.tax_amount, line.gross_amount) == (
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("20.00"),
    )

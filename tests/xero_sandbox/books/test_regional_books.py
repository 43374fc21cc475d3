"""Regional books through the official SDK: Xero's tax-rate lists, charts of accounts, enabled currencies."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from xero_python.accounting import (
    Account,
    Contact,
    CurrencyCode,
    Invoice,
    Invoices,
    LineItem,
    Payment,
    Payments,
    TaxType,
)

from tests.xero_sandbox.conftest import Sdk
from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20

# (TaxType, Name, rate, CanApplyToRevenue, CanApplyToExpenses) as Xero's demo companies carry them.
EXPECTED_RATES = {
    "GB": {
        ("OUTPUT2", "20% (VAT on Income)", "20", True, False),
        ("INPUT2", "20% (VAT on Expenses)", "20", False, True),
        ("CAPEXOUTPUT2", "20% (VAT on Capital Sales)", "20", True, False),
        ("CAPEXINPUT2", "20% (VAT on Capital Purchases)", "20", False, True),
        ("RROUTPUT", "5% (VAT on Income)", "5", True, False),
        ("RRINPUT", "5% (VAT on Expenses)", "5", False, True),
        ("ZERORATEDOUTPUT", "Zero Rated Income", "0", True, False),
        ("ZERORATEDINPUT", "Zero Rated Expenses", "0", False, True),
        ("EXEMPTOUTPUT", "Exempt Income", "0", True, False),
        ("EXEMPTINPUT", "Exempt Expenses", "0", False, True),
        ("ECZROUTPUT", "Zero Rated EC Goods Income", "0", True, False),
        ("ECZROUTPUTSERVICES", "Zero Rated EC Services", "0", True, False),
        ("ECZRINPUT", "Zero Rated EC Expenses", "0", False, True),
        ("GSTONIMPORTS", "VAT on Imports", "0", False, False),
        ("NONE", "No VAT", "0", True, True),
    },
    "AU": {
        ("OUTPUT", "GST on Income", "10", True, False),
        ("INPUT", "GST on Expenses", "10", False, True),
        ("CAPEXINPUT", "GST on Capital", "10", False, True),
        ("EXEMPTOUTPUT", "GST Free Income", "0", True, False),
        ("EXEMPTEXPORT", "GST Free Exports", "0", True, False),
        ("EXEMPTEXPENSES", "GST Free Expenses", "0", False, True),
        ("EXEMPTCAPITAL", "GST Free Capital", "0", False, True),
        ("INPUTTAXED", "Input Taxed", "0", True, True),
        ("BASEXCLUDED", "BAS Excluded", "0", True, True),
        ("GSTONIMPORTS", "GST on Imports", "0", False, False),
        ("GSTONCAPIMPORTS", "GST on Capital Imports", "0", False, False),
    },
    "NZ": {
        ("OUTPUT2", "15% GST on Income", "15", True, False),
        ("INPUT2", "15% GST on Expenses", "15", False, True),
        ("ZERORATED", "Zero Rated", "0", True, False),
        ("GSTONIMPORTS", "GST on Imports", "0", False, False),
        ("NONE", "No GST", "0", True, True),
    },
    "US": {
        ("OUTPUT", "Tax on Sales", "0", True, True),
        ("INPUT", "Tax on Purchases", "0", True, True),
        ("NONE", "Tax Exempt", "0", True, True),
        ("GSTONIMPORTS", "Sales Tax on Imports", "0", False, False),
        ("TAX001", "California Sales Tax", "8.25", True, True),
    },
}
BASE = {"GB": "GBP", "AU": "AUD", "NZ": "NZD", "US": "USD"}
SALES_ACCOUNT = {"GB": "200", "AU": "200", "NZ": "200", "US": "400"}


def _v(value):
    """Return an SDK enum's value (the SDK gives some fields as enums, others as strings)."""
    return getattr(value, "value", value)


def _sdk_for(xero_sandbox, sandbox_app, organisation) -> Sdk:
    testing.limits_reset()
    token = testing.token_issue(app=sandbox_app, organisations=[organisation])
    return Sdk(base=xero_sandbox, app=sandbox_app, token=token)


@pytest.mark.parametrize("country", ["GB", "AU", "NZ", "US"])
def test_each_region_serves_xeros_tax_rates_currency_and_chart(xero_sandbox, sandbox_app, country):
    organisation = testing.organisation_create(name=f"Demo Company ({country})", country=country)
    sdk = _sdk_for(xero_sandbox, sandbox_app, organisation)
    tenant = str(organisation.tenant_id)

    rates = sdk.accounting.get_tax_rates(tenant, _request_timeout=T).tax_rates
    served = {
        (
            r.tax_type,
            r.name,
            f"{Decimal(str(r.effective_rate)).normalize():f}",
            r.can_apply_to_revenue,
            r.can_apply_to_expenses,
        )
        for r in rates
    }
    assert served == EXPECTED_RATES[country]
    enum_codes = {_v(member) for member in TaxType}
    assert {r.tax_type for r in rates if not r.tax_type.startswith("TAX")} <= enum_codes
    assert all((r.report_tax_type is None) == (country == "US") for r in rates)

    currencies = sdk.accounting.get_currencies(tenant, _request_timeout=T).currencies
    assert [_v(c.code) for c in currencies] == [BASE[country]]
    found = sdk.accounting.get_organisations(tenant, _request_timeout=T).organisations[0]
    assert (_v(found.base_currency), _v(found.country_code)) == (BASE[country], country)

    accounts = sdk.accounting.get_accounts(tenant, _request_timeout=T).accounts
    by_code = {a.code: a for a in accounts}
    assert [_v(a.type) for a in accounts if _v(a.type) == "BANK"] == ["BANK", "BANK"]
    assert [a.code for a in accounts if a.enable_payments_to_account] != []
    assert by_code[SALES_ACCOUNT[country]].name == "Sales"
    assert [_v(a.system_account) for a in accounts if a.name == "Rounding"] == ["ROUNDING"]
    assert any(("Freight" in a.name or "Shipping" in a.name) and _v(a._class) == "REVENUE" for a in accounts)


def test_uk_books_carry_the_rounding_account_860_and_revenue_accounts_200_and_260(sdk, tenant):
    accounts = {a.code: a for a in sdk.accounting.get_accounts(tenant, _request_timeout=T).accounts}
    assert (accounts["860"].name, _v(accounts["860"].system_account)) == ("Rounding", "ROUNDING")
    assert [accounts[code].name for code in ("200", "250", "260")] == [
        "Sales",
        "Freight & Delivery Income",
        "Other Revenue",
    ]
    assert accounts["605"].enable_payments_to_account is True
    assert _v(accounts["090"].type) == "BANK"


def _sale(number: str, *, tax_type: str, account: str = "200", currency=None) -> Invoice:
    line = LineItem(description="Widget", quantity=1.0, unit_amount=100.0, account_code=account, tax_type=tax_type)
    extra = {"currency_code": currency} if currency else {}
    return Invoice(
        type="ACCREC",
        contact=Contact(name="Jane Buyer"),
        date=dt.date(2026, 11, 2),
        invoice_number=number,
        status="AUTHORISED",
        line_items=[line],
        **extra,
    )


def test_a_tax_type_must_suit_the_class_of_the_lines_account(sdk, tenant):
    batch = [
        _sale("INV-ZERO", tax_type="ZERORATEDOUTPUT"),
        _sale("INV-EC", tax_type="ECZROUTPUTSERVICES"),
        _sale("INV-INPUT", tax_type="INPUT2"),
        _sale("INV-IMPORTS", tax_type="GSTONIMPORTS"),
        _sale("INV-AU", tax_type="EXEMPTEXPORT"),
    ]
    answer = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=batch), summarize_errors=False, _request_timeout=T
    )
    assert [(i.status_attribute_string, i.total) for i in answer.invoices[:2]] == [
        ("OK", Decimal("100.00")),
        ("OK", Decimal("100.00")),
    ]
    assert [[e.message for e in i.validation_errors] for i in answer.invoices[2:]] == [
        ["The TaxType code 'INPUT2' cannot be used with account code '200'."],
        ["The TaxType code 'GSTONIMPORTS' cannot be used with account code '200'."],
        ["The TaxType code 'EXEMPTEXPORT' does not exist or cannot be used with this type of transaction."],
    ]
    assert [i["InvoiceNumber"] for i in testing.invoices(organisation=tenant)] == ["INV-ZERO", "INV-EC"]


def test_only_enabled_currencies_are_accepted_until_the_organisation_enables_more(xero_sandbox, sandbox_app):
    organisation = testing.organisation_create(name="Demo Company (AU)", country="AU")
    sdk = _sdk_for(xero_sandbox, sandbox_app, organisation)
    tenant = str(organisation.tenant_id)
    in_usd = _sale("INV-USD", tax_type="EXEMPTEXPORT", currency=CurrencyCode.USD)
    refused = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[in_usd]), summarize_errors=False, _request_timeout=T
    )
    assert [e.message for e in refused.invoices[0].validation_errors] == [
        "Organisation is not subscribed to currency USD"
    ]

    testing.currency_enable(organisation=organisation, code="USD")

    assert [_v(c.code) for c in sdk.accounting.get_currencies(tenant, _request_timeout=T).currencies] == [
        "AUD",
        "USD",
    ]
    accepted = sdk.accounting.create_invoices(tenant, Invoices(invoices=[in_usd]), _request_timeout=T).invoices[0]
    assert (_v(accepted.currency_code), accepted.total, accepted.line_items[0].tax_amount) == (
        "USD",
        Decimal("100.00"),
        Decimal("0.00"),
    )
    gst = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[_sale("INV-GST", tax_type="OUTPUT")]), _request_timeout=T
    ).invoices[0]
    assert (gst.total_tax, gst.total) == (Decimal("10.00"), Decimal("110.00"))


def test_payments_land_on_a_bank_or_payments_enabled_account_only(sdk, tenant):
    invoice = sdk.accounting.create_invoices(
        tenant, Invoices(invoices=[_sale("INV-PAY", tax_type="OUTPUT2")]), _request_timeout=T
    ).invoices[0]

    def pay(code: str, amount: float) -> Payment:
        payment = Payment(
            invoice=Invoice(invoice_id=invoice.invoice_id),
            account=Account(code=code),
            amount=amount,
            date=dt.date(2026, 11, 5),
        )
        return sdk.accounting.create_payments(
            tenant, Payments(payments=[payment]), summarize_errors=False, _request_timeout=T
        ).payments[0]

    assert pay("605", 20.0).status_attribute_string == "OK"
    assert pay("090", 30.0).status_attribute_string == "OK"
    assert [e.message for e in pay("200", 10.0).validation_errors] == [
        "Account code or ID must be specified for a bank or payments-enabled account"
    ]
    assert testing.invoices(organisation=tenant)[0]["AmountDue"] == 70.0


def test_create_org_command_picks_the_region_and_enables_currencies(db):
    out = io.StringIO()
    call_command(
        "xero_sandbox", "create-org", "--name", "Kiwi Kites", "--country", "NZ", "--currency", "aud", stdout=out
    )
    organisation = testing.organisation_get(organisation=out.getvalue().strip())
    assert (organisation.country_code, organisation.base_currency) == ("NZ", "NZD")
    assert sorted(organisation.currencies.values_list("code", flat=True)) == ["AUD", "NZD"]
    call_command("xero_sandbox", "enable-currency", "--tenant", "Kiwi Kites", "--code", "USD", stdout=io.StringIO())
    assert sorted(organisation.currencies.values_list("code", flat=True)) == ["AUD", "NZD", "USD"]
    assert sorted(organisation.tax_rates.values_list("tax_type", flat=True)) == sorted(
        code for code, *_ in EXPECTED_RATES["NZ"]
    )
    default = io.StringIO()
    call_command("xero_sandbox", "create-org", "--name", "Plain Ltd", stdout=default)
    plain = testing.organisation_get(organisation=default.getvalue().strip())
    assert (
        plain.country_code,
        plain.base_currency,
        json.dumps(list(plain.currencies.values_list("code", flat=True))),
    ) == (
        "GB",
        "GBP",
        '["GBP"]',
    )


def test_a_us_custom_sales_tax_rate_is_applied_per_line(xero_sandbox, sandbox_app):
    organisation = testing.organisation_create(name="Demo Company (US)", country="US")
    sdk = _sdk_for(xero_sandbox, sandbox_app, organisation)
    tenant = str(organisation.tenant_id)
    lines = [
        LineItem(description="Kite", quantity=3.0, unit_amount=19.99, account_code="400", tax_type="TAX001"),
        LineItem(description="Shipping", quantity=1.0, unit_amount=7.5, account_code="410", tax_type="NONE"),
    ]
    sale = Invoice(
        type="ACCREC", contact=Contact(name="Ana"), date=dt.date(2026, 11, 2), status="AUTHORISED", line_items=lines
    )
    (answer,) = sdk.accounting.create_invoices(tenant, Invoices(invoices=[sale]), _request_timeout=T).invoices
    assert [line.tax_amount for line in answer.line_items] == [Decimal("4.95"), Decimal("0.00")]
    assert (answer.sub_total, answer.total_tax, answer.total, _v(answer.currency_code)) == (
        Decimal("67.47"),
        Decimal("4.95"),
        Decimal("72.42"),
        "USD",
    )

"""United States: "Demo Company (US)" — USD, sales tax (no ReportTaxType; custom rates are TAX001, …)."""

from __future__ import annotations

from decimal import Decimal

from xero_sandbox.demo_books.rows import AccountRow, ItemRow, Region, TaxRateRow

A = AccountRow
ACCOUNTS = [
    A("090", "Checking Account", "BANK", "ASSET", "NONE"),
    A("091", "Savings Account", "BANK", "ASSET", "NONE"),
    A("400", "Sales", "REVENUE", "REVENUE", "OUTPUT"),
    A("410", "Shipping Income", "REVENUE", "REVENUE", "NONE"),
    A("460", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT"),
    A("470", "Interest Income", "OTHERINCOME", "REVENUE", "NONE"),
    A("500", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "NONE"),
    A("600", "Advertising", "EXPENSE", "EXPENSE", "INPUT"),
    A("604", "Bank Service Charges", "EXPENSE", "EXPENSE", "NONE"),
    A("620", "General Expenses", "EXPENSE", "EXPENSE", "INPUT"),
    A("669", "Rent", "EXPENSE", "EXPENSE", "NONE"),
    A("115", "Card Payments Clearing", "CURRENT", "ASSET", "NONE", enable_payments=True),
    A("120", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"),
    A("140", "Inventory", "INVENTORY", "ASSET", "NONE"),
    A("160", "Office Equipment", "FIXED", "ASSET", "NONE"),
    A("200", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"),
    A("220", "Sales Tax", "CURRLIAB", "LIABILITY", "NONE", "GST"),
    A("255", "Historical Adjustment", "CURRLIAB", "LIABILITY", "NONE", "HISTORICAL"),
    A("260", "Rounding", "CURRLIAB", "LIABILITY", "NONE", "ROUNDING"),
    A("320", "Retained Earnings", "EQUITY", "EQUITY", "NONE", "RETAINEDEARNINGS"),
    A("330", "Owner's Contribution", "EQUITY", "EQUITY", "NONE"),
]

T = TaxRateRow
ZERO = Decimal("0.0000")
TAX_RATES = [
    T("Tax on Sales", "OUTPUT", ZERO, "", "RXLEA"),
    T("Tax on Purchases", "INPUT", ZERO, "", "RXLEA"),
    T("Tax Exempt", "NONE", ZERO, "", "RXLEA"),
    T("Sales Tax on Imports", "GSTONIMPORTS", ZERO, "", "--L--"),
    # A rate the organisation added itself: Xero names custom rates TAX001, TAX002, …
    T("California Sales Tax", "TAX001", Decimal("8.2500"), "", "RXLEA"),
]

ITEMS = [
    ItemRow("BOOK", "Fish out of Water: Finding Your Brand", Decimal("19.95"), "400", "TAX001"),
]

REGION = Region(
    country_code="US",
    version="US",
    base_currency="USD",
    timezone="PACIFICSTANDARDTIME",
    tax_component="Sales Tax",
    accounts=ACCOUNTS,
    tax_rates=TAX_RATES,
    items=ITEMS,
)

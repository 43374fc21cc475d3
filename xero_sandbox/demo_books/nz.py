"""New Zealand: "Demo Company (NZ)" — NZD, GST 15%."""

from __future__ import annotations

from decimal import Decimal

from xero_sandbox.demo_books.rows import AccountRow, ItemRow, Region, TaxRateRow

A = AccountRow
ACCOUNTS = [
    A("090", "Business Bank Account", "BANK", "ASSET", "NONE"),
    A("091", "Business Savings Account", "BANK", "ASSET", "NONE"),
    A("200", "Sales", "REVENUE", "REVENUE", "OUTPUT2"),
    A("250", "Freight Income", "REVENUE", "REVENUE", "OUTPUT2"),
    A("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2"),
    A("270", "Interest Income", "REVENUE", "REVENUE", "NONE"),
    A("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2"),
    A("400", "Advertising", "EXPENSE", "EXPENSE", "INPUT2"),
    A("404", "Bank Fees", "EXPENSE", "EXPENSE", "NONE"),
    A("429", "General Expenses", "EXPENSE", "EXPENSE", "INPUT2"),
    A("469", "Rent", "EXPENSE", "EXPENSE", "INPUT2"),
    A("605", "Card Payments Clearing", "CURRENT", "ASSET", "NONE", enable_payments=True),
    A("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"),
    A("620", "Prepayments", "CURRENT", "ASSET", "NONE"),
    A("630", "Inventory", "INVENTORY", "ASSET", "NONE"),
    A("710", "Office Equipment", "FIXED", "ASSET", "INPUT2"),
    A("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"),
    A("820", "GST", "CURRLIAB", "LIABILITY", "NONE", "GST"),
    A("840", "Historical Adjustment", "CURRLIAB", "LIABILITY", "NONE", "HISTORICAL"),
    A("860", "Rounding", "CURRLIAB", "LIABILITY", "NONE", "ROUNDING"),
    A("960", "Retained Earnings", "EQUITY", "EQUITY", "NONE", "RETAINEDEARNINGS"),
    A("970", "Owner A Funds Introduced", "EQUITY", "EQUITY", "NONE"),
]

T = TaxRateRow
ZERO = Decimal("0.0000")
FIFTEEN = Decimal("15.0000")
TAX_RATES = [
    T("15% GST on Income", "OUTPUT2", FIFTEEN, "OUTPUT", "R-LEA"),
    T("15% GST on Expenses", "INPUT2", FIFTEEN, "INPUT", "-XLEA"),
    T("Zero Rated", "ZERORATED", ZERO, "OUTPUT", "R-L--"),
    T("GST on Imports", "GSTONIMPORTS", ZERO, "GSTONIMPORTS", "--L--"),
    T("No GST", "NONE", ZERO, "NONE", "RXLEA"),
]

ITEMS = [
    ItemRow("BOOK", "Fish out of Water: Finding Your Brand", Decimal("29.95"), "200", "OUTPUT2"),
]

REGION = Region(
    country_code="NZ",
    version="NZ",
    base_currency="NZD",
    timezone="NEWZEALANDSTANDARDTIME",
    tax_component="GST",
    accounts=ACCOUNTS,
    tax_rates=TAX_RATES,
    items=ITEMS,
)

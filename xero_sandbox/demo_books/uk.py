"""United Kingdom: "Demo Company (UK)" — GBP, VAT."""

from __future__ import annotations

from decimal import Decimal

from xero_sandbox.demo_books.rows import AccountRow, ItemRow, Region, TaxRateRow

A = AccountRow
ACCOUNTS = [
    A("090", "Business Bank Account", "BANK", "ASSET", "NONE"),
    A("091", "Business Savings Account", "BANK", "ASSET", "NONE"),
    A("200", "Sales", "SALES", "REVENUE", "OUTPUT2"),
    A("250", "Freight & Delivery Income", "SALES", "REVENUE", "OUTPUT2"),
    A("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2"),
    A("265", "Old Web Sales", "REVENUE", "REVENUE", "OUTPUT2", archived=True),
    A("270", "Interest Income", "OTHERINCOME", "REVENUE", "EXEMPTOUTPUT"),
    A("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2"),
    A("400", "Advertising", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("404", "Bank Fees", "OVERHEADS", "EXPENSE", "EXEMPTINPUT"),
    A("408", "Cleaning", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("412", "Consulting & Accounting", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("429", "General Expenses", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("433", "Insurance", "OVERHEADS", "EXPENSE", "EXEMPTINPUT"),
    A("461", "Printing & Stationery", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("469", "Rent", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("489", "Telephone & Internet", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("493", "Travel - National", "OVERHEADS", "EXPENSE", "INPUT2"),
    A("605", "Card Payments Clearing", "CURRENT", "ASSET", "NONE", enable_payments=True),
    A("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"),
    A("620", "Prepayments", "CURRENT", "ASSET", "NONE"),
    A("630", "Inventory", "INVENTORY", "ASSET", "NONE"),
    A("710", "Office Equipment", "FIXED", "ASSET", "CAPEXINPUT2"),
    A("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"),
    A("820", "VAT", "CURRLIAB", "LIABILITY", "NONE", "GST"),
    A("825", "Employee Tax Payable", "CURRLIAB", "LIABILITY", "NONE"),
    A("840", "Historical Adjustment", "CURRLIAB", "LIABILITY", "NONE", "HISTORICAL"),
    A("860", "Rounding", "CURRLIAB", "LIABILITY", "NONE", "ROUNDING"),
    A("960", "Retained Earnings", "EQUITY", "EQUITY", "NONE", "RETAINEDEARNINGS"),
    A("970", "Owner A Funds Introduced", "EQUITY", "EQUITY", "NONE"),
]

T = TaxRateRow
ZERO = Decimal("0.0000")
TWENTY = Decimal("20.0000")
FIVE = Decimal("5.0000")
TAX_RATES = [
    T("20% (VAT on Income)", "OUTPUT2", TWENTY, "OUTPUT", "R-LEA"),
    T("20% (VAT on Expenses)", "INPUT2", TWENTY, "INPUT", "-XLEA"),
    T("20% (VAT on Capital Sales)", "CAPEXOUTPUT2", TWENTY, "CAPITALSALESOUTPUT", "R-LEA"),
    T("20% (VAT on Capital Purchases)", "CAPEXINPUT2", TWENTY, "CAPITALEXPENSESINPUT", "-XLEA"),
    T("5% (VAT on Income)", "RROUTPUT", FIVE, "OUTPUT", "R-LEA"),
    T("5% (VAT on Expenses)", "RRINPUT", FIVE, "INPUT", "-XLEA"),
    T("Zero Rated Income", "ZERORATEDOUTPUT", ZERO, "OUTPUT", "R-LEA"),
    T("Zero Rated Expenses", "ZERORATEDINPUT", ZERO, "INPUT", "-XLEA"),
    T("Exempt Income", "EXEMPTOUTPUT", ZERO, "EXEMPTOUTPUT", "R-LEA"),
    T("Exempt Expenses", "EXEMPTINPUT", ZERO, "EXEMPTINPUT", "-XLEA"),
    T("Zero Rated EC Goods Income", "ECZROUTPUT", ZERO, "ECOUTPUT", "R-LEA"),
    T("Zero Rated EC Services", "ECZROUTPUTSERVICES", ZERO, "ECOUTPUTSERVICES", "R-LEA"),
    T("Zero Rated EC Expenses", "ECZRINPUT", ZERO, "ECINPUT", "-XLEA"),
    T("VAT on Imports", "GSTONIMPORTS", ZERO, "GSTONIMPORTS", "--L--"),
    T("No VAT", "NONE", ZERO, "NONE", "RXLEA"),
]

ITEMS = [
    ItemRow("BOOK", "Fish out of Water: Finding Your Brand", Decimal("19.95"), "200", "OUTPUT2"),
    ItemRow("GB1-White", "Golf balls - white single", Decimal("5.00"), "200", "OUTPUT2"),
    ItemRow("DevD", "Development work - developer onsite per day", Decimal("500.00"), "200", "OUTPUT2"),
]

REGION = Region(
    country_code="GB",
    version="UK",
    base_currency="GBP",
    timezone="GMTSTANDARDTIME",
    tax_component="VAT",
    accounts=ACCOUNTS,
    tax_rates=TAX_RATES,
    items=ITEMS,
)

"""The books a new sandbox organisation starts with, modelled on Xero's "Demo Company (UK)"."""

from __future__ import annotations

from decimal import Decimal

# (code, name, type, class, tax type, system account)
CHART_OF_ACCOUNTS: list[tuple[str, str, str, str, str, str]] = [
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE", ""),
    ("091", "Business Savings Account", "BANK", "ASSET", "NONE", ""),
    ("200", "Sales", "SALES", "REVENUE", "OUTPUT2", ""),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2", ""),
    ("270", "Interest Income", "OTHERINCOME", "REVENUE", "NONE", ""),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2", ""),
    ("400", "Advertising", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("404", "Bank Fees", "OVERHEADS", "EXPENSE", "NONE", ""),
    ("408", "Cleaning", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("412", "Consulting & Accounting", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("429", "General Expenses", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("433", "Insurance", "OVERHEADS", "EXPENSE", "NONE", ""),
    ("461", "Printing & Stationery", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("469", "Rent", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("489", "Telephone & Internet", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("493", "Travel - National", "OVERHEADS", "EXPENSE", "INPUT2", ""),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "DEBTORS"),
    ("620", "Prepayments", "CURRENT", "ASSET", "NONE", ""),
    ("630", "Inventory", "INVENTORY", "ASSET", "NONE", ""),
    ("710", "Office Equipment", "FIXED", "ASSET", "INPUT2", ""),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "CREDITORS"),
    ("820", "VAT", "CURRLIAB", "LIABILITY", "NONE", "GST"),
    ("825", "Employee Tax Payable", "CURRLIAB", "LIABILITY", "NONE", ""),
    ("960", "Retained Earnings", "EQUITY", "EQUITY", "NONE", "RETAINEDEARNINGS"),
    ("970", "Owner A Funds Introduced", "EQUITY", "EQUITY", "NONE", ""),
]
# An archived revenue account, so "account must be active" can be exercised.
ARCHIVED_ACCOUNTS: list[tuple[str, str, str, str, str, str]] = [
    ("265", "Old Web Sales", "REVENUE", "REVENUE", "OUTPUT2", ""),
]
# Accounts with payments enabled (a payment must land on one of these or on a bank account).
PAYMENT_ACCOUNT_CODES = {"090", "091"}

# (name, tax type, rate, report tax type, applies to revenue, applies to expenses)
TAX_RATES: list[tuple[str, str, Decimal, str, bool, bool]] = [
    ("20% (VAT on Income)", "OUTPUT2", Decimal("20.0000"), "OUTPUT", True, False),
    ("20% (VAT on Expenses)", "INPUT2", Decimal("20.0000"), "INPUT", False, True),
    ("5% (VAT on Income)", "RROUTPUT", Decimal("5.0000"), "OUTPUT", True, False),
    ("Zero Rated Income", "ZERORATEDOUTPUT", Decimal("0.0000"), "OUTPUT", True, False),
    ("Exempt Income", "EXEMPTOUTPUT", Decimal("0.0000"), "EXEMPTOUTPUT", True, False),
    ("No VAT", "NONE", Decimal("0.0000"), "NONE", True, True),
]

CURRENCY_NAMES = {
    "GBP": "British Pound",
    "EUR": "Euro",
    "USD": "United States Dollar",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
}
DEFAULT_CURRENCIES = ["GBP", "EUR", "USD"]
DEMO_ORGANISATIONS = ["Demo Company (UK)", "Northwind Traders Ltd"]

# A few records like Xero's demo company has, so a demo organisation does not look empty.
DEMO_CONTACTS: list[tuple[str, str]] = [
    ("Ridgeway University", "accounts@ridgeway.example.com"),
    ("Boom FM", "billing@boomfm.example.com"),
    ("City Limousines", "office@citylimo.example.com"),
]
# (code, name, sales unit price, sales account, tax type)
DEMO_ITEMS: list[tuple[str, str, Decimal, str, str]] = [
    ("BOOK", "Fish out of Water: Finding Your Brand", Decimal("19.95"), "200", "OUTPUT2"),
    ("GB1-White", "Golf balls - white single", Decimal("5.00"), "200", "OUTPUT2"),
    ("DevD", "Development work - developer onsite per day", Decimal("500.00"), "200", "OUTPUT2"),
]

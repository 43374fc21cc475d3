"""Australia: "Demo Company (AU)" — AUD, GST 10%, advanced tax rates (BAS)."""

from __future__ import annotations

from decimal import Decimal

from xero_sandbox.demo_books.rows import AccountRow, ItemRow, Region, TaxRateRow

A = AccountRow
ACCOUNTS = [
    A("090", "Business Bank Account", "BANK", "ASSET", "BASEXCLUDED"),
    A("091", "Business Savings Account", "BANK", "ASSET", "BASEXCLUDED"),
    A("200", "Sales", "REVENUE", "REVENUE", "OUTPUT"),
    A("250", "Freight Income", "REVENUE", "REVENUE", "OUTPUT"),
    A("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT"),
    A("270", "Interest Income", "REVENUE", "REVENUE", "INPUTTAXED"),
    A("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT"),
    A("400", "Advertising", "EXPENSE", "EXPENSE", "INPUT"),
    A("404", "Bank Fees", "EXPENSE", "EXPENSE", "EXEMPTEXPENSES"),
    A("429", "General Expenses", "EXPENSE", "EXPENSE", "INPUT"),
    A("469", "Rent", "EXPENSE", "EXPENSE", "INPUT"),
    A("605", "Card Payments Clearing", "CURRENT", "ASSET", "BASEXCLUDED", enable_payments=True),
    A("610", "Accounts Receivable", "CURRENT", "ASSET", "BASEXCLUDED", "DEBTORS"),
    A("620", "Prepayments", "CURRENT", "ASSET", "BASEXCLUDED"),
    A("630", "Inventory", "INVENTORY", "ASSET", "BASEXCLUDED"),
    A("710", "Office Equipment", "FIXED", "ASSET", "CAPEXINPUT"),
    A("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "BASEXCLUDED", "CREDITORS"),
    A("820", "GST", "CURRLIAB", "LIABILITY", "BASEXCLUDED", "GST"),
    A("825", "PAYG Withholdings Payable", "CURRLIAB", "LIABILITY", "BASEXCLUDED"),
    A("826", "Superannuation Payable", "CURRLIAB", "LIABILITY", "BASEXCLUDED"),
    A("840", "Historical Adjustment", "CURRLIAB", "LIABILITY", "BASEXCLUDED", "HISTORICAL"),
    A("860", "Rounding", "CURRLIAB", "LIABILITY", "BASEXCLUDED", "ROUNDING"),
    A("960", "Retained Earnings", "EQUITY", "EQUITY", "BASEXCLUDED", "RETAINEDEARNINGS"),
    A("970", "Owner A Funds Introduced", "EQUITY", "EQUITY", "BASEXCLUDED"),
]

T = TaxRateRow
ZERO = Decimal("0.0000")
TEN = Decimal("10.0000")
TAX_RATES = [
    T("GST on Income", "OUTPUT", TEN, "OUTPUT", "R-LEA"),
    T("GST on Expenses", "INPUT", TEN, "INPUT", "-XLEA"),
    T("GST on Capital", "CAPEXINPUT", TEN, "CAPITALEXINPUT", "-XLEA"),
    T("GST Free Income", "EXEMPTOUTPUT", ZERO, "EXEMPTOUTPUT", "R-LEA"),
    T("GST Free Exports", "EXEMPTEXPORT", ZERO, "EXEMPTEXPORT", "R-LEA"),
    T("GST Free Expenses", "EXEMPTEXPENSES", ZERO, "EXEMPTEXPENSES", "-XLEA"),
    T("GST Free Capital", "EXEMPTCAPITAL", ZERO, "EXEMPTCAPITAL", "-XLEA"),
    T("Input Taxed", "INPUTTAXED", ZERO, "INPUTTAXED", "RXLEA"),
    T("BAS Excluded", "BASEXCLUDED", ZERO, "BASEXCLUDED", "RXLEA"),
    T("GST on Imports", "GSTONIMPORTS", ZERO, "GSTONIMPORTS", "--L--"),
    T("GST on Capital Imports", "GSTONCAPIMPORTS", ZERO, "GSTONCAPIMPORTS", "--L--"),
]

ITEMS = [
    ItemRow("BOOK", "Fish out of Water: Finding Your Brand", Decimal("24.95"), "200", "OUTPUT"),
    ItemRow("DevD", "Development work - developer onsite per day", Decimal("650.00"), "200", "OUTPUT"),
]

REGION = Region(
    country_code="AU",
    version="AU",
    base_currency="AUD",
    timezone="AUSEASTERNSTANDARDTIME",
    tax_component="GST",
    accounts=ACCOUNTS,
    tax_rates=TAX_RATES,
    items=ITEMS,
)

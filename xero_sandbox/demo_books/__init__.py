"""The books a new sandbox organisation starts with, one region per module, modelled on Xero's demo companies.

Sources (see xero_sandbox/README.md "Regional books"): the TaxType enum of Xero's OpenAPI spec, Xero's
"Default tax rates" help pages (UK, AU), and the published per-region tables of Xero's default tax types
with the account classes each can apply to.
"""

from __future__ import annotations

from xero_sandbox.demo_books.regions import CURRENCY_NAMES, REGIONS, region_for
from xero_sandbox.demo_books.rows import AccountRow, ItemRow, Region, TaxRateRow

# Organisations the `demo` command creates (both UK, the default region).
DEMO_ORGANISATIONS = ["Demo Company (UK)", "Northwind Traders Ltd"]
# The demo company sells in these besides its base currency (the portal's demo EUR and USD stores).
DEMO_CURRENCIES = ["EUR", "USD"]

# A few records like Xero's demo company has, so a demo organisation does not look empty.
DEMO_CONTACTS: list[tuple[str, str]] = [
    ("Ridgeway University", "accounts@ridgeway.example.com"),
    ("Boom FM", "billing@boomfm.example.com"),
    ("City Limousines", "office@citylimo.example.com"),
]

# Xero's demo company tracks sales by "Region" (the spec's examples: Region / Eastside, North).
DEMO_TRACKING: dict[str, list[str]] = {"Region": ["Eastside", "North", "South", "West Coast"]}

__all__ = [
    "CURRENCY_NAMES",
    "DEMO_CONTACTS",
    "DEMO_CURRENCIES",
    "DEMO_ORGANISATIONS",
    "DEMO_TRACKING",
    "REGIONS",
    "AccountRow",
    "ItemRow",
    "Region",
    "TaxRateRow",
    "region_for",
]

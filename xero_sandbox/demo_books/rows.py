"""The rows a region's books are made of: accounts, tax rates, items, and the region itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class AccountRow:
    code: str
    name: str
    type: str
    account_class: str
    tax_type: str
    system_account: str = ""
    enable_payments: bool = False
    archived: bool = False


@dataclass(frozen=True)
class TaxRateRow:
    """A tax rate; `applies` lists the account classes it can be used with.

    R = revenue, X = expenses, L = liabilities, E = equity, A = assets.
    """

    name: str
    tax_type: str
    rate: Decimal
    report_tax_type: str
    applies: str


@dataclass(frozen=True)
class ItemRow:
    code: str
    name: str
    price: Decimal
    account_code: str
    tax_type: str


@dataclass(frozen=True)
class Region:
    country_code: str
    version: str
    base_currency: str
    timezone: str
    tax_component: str
    accounts: list[AccountRow]
    tax_rates: list[TaxRateRow]
    items: list[ItemRow] = field(default_factory=list)

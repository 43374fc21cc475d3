"""What a region's books hold, and the table of regions (GB is the default)."""

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


CURRENCY_NAMES = {
    "GBP": "British Pound",
    "EUR": "Euro",
    "USD": "United States Dollar",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "CAD": "Canadian Dollar",
}


def _regions() -> dict[str, Region]:
    from . import au, nz, uk, us

    return {region.country_code: region for region in (uk.REGION, au.REGION, nz.REGION, us.REGION)}


REGIONS: dict[str, Region] = _regions()
ALIASES = {"UK": "GB"}


def region_for(country: str) -> Region:
    """Return the region for a country code (GB/UK, AU, NZ, US); raise ValueError for others."""
    code = ALIASES.get(country.strip().upper(), country.strip().upper())
    if code not in REGIONS:
        raise ValueError(f"Unknown sandbox region {country!r}; known: {', '.join(sorted(REGIONS))}")
    return REGIONS[code]

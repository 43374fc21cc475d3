"""What a region's books hold, and the table of regions (GB is the default)."""

from __future__ import annotations

from xero_sandbox.demo_books import au, nz, uk, us
from xero_sandbox.demo_books.rows import Region

CURRENCY_NAMES = {
    "GBP": "British Pound",
    "EUR": "Euro",
    "USD": "United States Dollar",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "CAD": "Canadian Dollar",
}


REGIONS: dict[str, Region] = {region.country_code: region for region in (uk.REGION, au.REGION, nz.REGION, us.REGION)}
ALIASES = {"UK": "GB"}


def region_for(country: str) -> Region:
    """Return the region for a country code (GB/UK, AU, NZ, US); raise ValueError for others."""
    code = ALIASES.get(country.strip().upper(), country.strip().upper())
    if code not in REGIONS:
        raise ValueError(f"Unknown sandbox region {country!r}; known: {', '.join(sorted(REGIONS))}")
    return REGIONS[code]

"""What Xero's TaxRates list means for sales: the tax types a sales line may carry, by rate.

An organisation has several tax types at one rate (UK 0%: zero-rated, exempt, EC goods, EC
services, no VAT; AU 0%: GST free, export, BAS excluded; NZ: zero-rated and none). Xero accepts
any of them and only the VAT/GST return shows the difference, so nothing here picks one: it
lists the candidates, and the caller pre-fills only when there is exactly one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from accounting.providers.xero.values import RecordStatus, text

FOUR_DP = Decimal("0.0001")


@dataclass(frozen=True)
class SalesTaxRate:
    """One of the organisation's ACTIVE tax types that can apply to revenue."""

    tax_type: str
    name: str
    rate: Decimal  # EffectiveRate, percent, 4 dp

    def label(self) -> str:
        return f"{self.name} ({self.tax_type})" if self.name else self.tax_type


def sales_tax_rates(rates: Iterable[Any]) -> list[SalesTaxRate]:
    """Return the ACTIVE tax rates that can apply to revenue, by name, from SDK TaxRate models."""
    usable = []
    for rate in rates:
        if not rate.tax_type or rate.effective_rate is None or not rate.can_apply_to_revenue:
            continue
        if text(rate.status) == RecordStatus.ACTIVE:
            effective = Decimal(str(rate.effective_rate)).quantize(FOUR_DP, rounding=ROUND_HALF_UP)
            usable.append(SalesTaxRate(tax_type=str(rate.tax_type), name=str(rate.name or ""), rate=effective))
    return sorted(usable, key=lambda r: (r.name.lower(), r.tax_type))


def sales_tax_types_at(rates: Iterable[SalesTaxRate], rate: Decimal) -> list[SalesTaxRate]:
    """Return the sales tax types whose effective rate is `rate` percent."""
    wanted = Decimal(rate).quantize(FOUR_DP, rounding=ROUND_HALF_UP)
    return [r for r in rates if r.rate == wanted]


def sales_tax_rates_dump(rates: Iterable[SalesTaxRate]) -> dict[str, list[dict[str, str]]]:
    """Return the rates as JSON for a cache ({} means "not looked up", so the list is wrapped)."""
    return {"rates": [{"tax_type": r.tax_type, "name": r.name, "rate": str(r.rate)} for r in rates]}


def sales_tax_rates_load(stored: object) -> list[SalesTaxRate] | None:
    """Return the rates of `sales_tax_rates_dump`; None when `stored` is not that shape."""
    if not isinstance(stored, dict) or not isinstance(stored.get("rates"), list):
        return None
    rates = []
    try:
        for entry in stored["rates"]:
            rates.append(
                SalesTaxRate(tax_type=str(entry["tax_type"]), name=str(entry["name"]), rate=Decimal(entry["rate"]))
            )
    except (KeyError, TypeError, InvalidOperation):
        return None
    return rates

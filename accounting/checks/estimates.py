"""Estimates of the Xero calls a backlog takes and how long Xero's limits make it last: shown by
the pre-flight's backlog check and the backfill's preview."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from accounting.access.facts import day_limit_of
from accounting.access.limits import LIMITS
from accounting.models import AccountingChannel
from accounting.providers.xero.mapping import customer_key
from accounting.sync.models import XeroContactLink, XeroOrganisationFacts


@dataclass(frozen=True)
class SyncEstimate:
    invoices: int
    new_customers: int
    products: int
    calls: int
    minutes: int  # at the per-minute limit alone
    day_remaining: int
    day_limit: int
    days: int  # days of the day budget it spans (1: today)

    def describe(self) -> str:
        parts = [f"{self.invoices} invoice{'' if self.invoices == 1 else 's'}"]
        if self.products:
            parts.append(f"{self.products} product{'' if self.products == 1 else 's'}")
        return f"{' and '.join(parts)} take about {self.calls} Xero call{'' if self.calls == 1 else 's'}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sync_estimate(*, channel: AccountingChannel, invoices: Any, products: int = 0) -> SyncEstimate:
    """Estimate the Xero calls of sending `invoices` (a queryset of store invoices) and
    `products`: one call per batch of SYNC_BATCH_SIZE, plus a look-up and a create per batch of
    customers not yet known in the organisation; and how long the limits make it take."""
    batch = int(settings.SYNC_BATCH_SIZE)
    count = invoices.count()
    customers = {
        customer_key(name=row["customer_name"], email=row["customer_email"] or "")
        for row in invoices.values("customer_email", "customer_name").annotate(n=Count("pk")).order_by()
    }
    known = set(
        XeroContactLink.objects.filter(tenant_id=channel.tenant_id, customer_key__in=customers).values_list(
            "customer_key", flat=True
        )
    )
    new_customers = len(customers - known)
    calls = math.ceil(count / batch) + 2 * math.ceil(new_customers / batch) + math.ceil(products / batch)
    day_limit = day_limit_of(tenant_id=channel.tenant_id) if channel.tenant_id else LIMITS.per_day
    day_remaining = _day_remaining(tenant_id=channel.tenant_id, day_limit=day_limit)
    days = 1 if calls <= day_remaining else 1 + math.ceil((calls - day_remaining) / day_limit)
    minutes = math.ceil(calls / LIMITS.per_minute) if calls else 0
    return SyncEstimate(count, new_customers, products, calls, minutes, day_remaining, day_limit, days)


def _day_remaining(*, tenant_id: str, day_limit: int) -> int:
    """Calls left today as Xero last reported them (within the last day), else the whole limit."""
    facts = XeroOrganisationFacts.objects.filter(tenant_id=tenant_id, day_remaining__isnull=False).first()
    if facts is None or facts.day_reported_at is None or timezone.now() - facts.day_reported_at > dt.timedelta(days=1):
        return day_limit
    return int(facts.day_remaining or 0)

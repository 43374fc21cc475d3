"""What Xero's answers teach about an organisation: its day budget and whether it is high-volume."""

from __future__ import annotations

from django.utils import timezone

from accounting.sync.models import XeroOrganisationFacts

# Starter apps get 1,000 calls a day per organisation, the other tiers 5,000 (third-party
# reports of Xero's 2026 tiers): a remaining count above 1,000 proves the larger budget.
STARTER_DAY_LIMIT = 1000
STANDARD_DAY_LIMIT = 5000


def facts_day_report(*, tenant_id: str, remaining: int, minute_remaining: int | None = None) -> int:
    """Record the day (and minute) budget Xero reported for the organisation; return its day limit."""
    limit = STANDARD_DAY_LIMIT if remaining >= STARTER_DAY_LIMIT else STARTER_DAY_LIMIT
    now = timezone.now()
    facts, created = XeroOrganisationFacts.objects.get_or_create(
        tenant_id=tenant_id,
        defaults={"day_limit": limit, "day_remaining": remaining, "day_reported_at": now}
        | {"minute_remaining": minute_remaining},
    )
    if not created:
        facts.day_limit = max(facts.day_limit, limit)
        facts.day_remaining, facts.day_reported_at, facts.minute_remaining = remaining, now, minute_remaining
        facts.save(update_fields=["day_limit", "day_remaining", "day_reported_at", "minute_remaining"])
    return facts.day_limit


def day_limit_of(*, tenant_id: str) -> int:
    """Return the organisation's day limit as learnt from Xero (the Starter tier's until then)."""
    limit = XeroOrganisationFacts.objects.filter(tenant_id=tenant_id).values_list("day_limit", flat=True).first()
    return limit or STARTER_DAY_LIMIT


def organisation_is_high_volume(*, tenant_id: str) -> bool:
    return XeroOrganisationFacts.objects.filter(tenant_id=tenant_id, high_volume_since__isnull=False).exists()


def organisation_mark_high_volume(*, tenant_id: str) -> None:
    """Remember that the organisation refuses un-optimised filters: ask it narrowly from now on."""
    facts, _ = XeroOrganisationFacts.objects.get_or_create(tenant_id=tenant_id)
    XeroOrganisationFacts.objects.filter(pk=facts.pk, high_volume_since__isnull=True).update(
        high_volume_since=timezone.now()
    )

"""Create organisations with their books, turn their fault knobs, revoke their connections."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from xero_sandbox import demo_books
from xero_sandbox.models import Account, Connection, Contact, Currency, Grant, Item, Organisation, TaxRate
from xero_sandbox.services.tracking import tracking_seed

FAULT_FIELDS = (
    "fault_latency_ms",
    "fault_500_share",
    "fault_503_share",
    "fault_drop_share",
    "fault_ignore_idempotency",
    "fault_429_storm",
)


def _short_code(name: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", name).upper()[:5] or "ORG"
    return f"!{letters}"


@transaction.atomic
def organisation_create(
    *, name: str, country: str = "GB", base_currency: str = "", currencies: list[str] | None = None
) -> Organisation:
    """Create an organisation with its region's demo chart of accounts and tax rates.

    `country` picks the region (GB — the default —, AU, NZ, US). Only the base currency (the
    region's unless `base_currency` is given) is enabled, plus any listed in `currencies`.
    """
    region = demo_books.region_for(country)
    base = base_currency or region.base_currency
    organisation = Organisation.objects.create(
        name=name,
        short_code=_short_code(name),
        base_currency=base,
        country_code=region.country_code,
        timezone=region.timezone,
    )
    for code in dict.fromkeys([base, *(currencies or [])]):
        currency_enable(organisation=organisation, code=code)
    Account.objects.bulk_create(
        Account(
            organisation=organisation,
            code=row.code,
            name=row.name,
            type=row.type,
            account_class=row.account_class,
            tax_type=row.tax_type,
            system_account=row.system_account,
            status="ARCHIVED" if row.archived else "ACTIVE",
            enable_payments=row.enable_payments,
        )
        for row in region.accounts
    )
    TaxRate.objects.bulk_create(
        TaxRate(
            organisation=organisation,
            name=row.name,
            tax_type=row.tax_type,
            rate=row.rate,
            report_tax_type=row.report_tax_type,
            can_apply_to_revenue="R" in row.applies,
            can_apply_to_expenses="X" in row.applies,
            can_apply_to_liabilities="L" in row.applies,
            can_apply_to_equity="E" in row.applies,
            can_apply_to_assets="A" in row.applies,
        )
        for row in region.tax_rates
    )
    return organisation


def currency_enable(*, organisation: Organisation, code: str) -> Currency:
    """Enable a currency in the organisation (as adding it under Settings › Currencies does); idempotent."""
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"{code!r} is not a three-letter currency code.")
    currency, _ = Currency.objects.get_or_create(
        organisation=organisation, code=code, defaults={"description": demo_books.CURRENCY_NAMES.get(code, code)}
    )
    return currency


def organisation_get_or_create(*, name: str, country: str = "GB") -> Organisation:
    """Return the organisation named `name`, creating it with the demo books when missing."""
    existing = Organisation.objects.filter(name=name).first()
    return existing or organisation_create(name=name, country=country)


def organisation_seed_demo_records(*, organisation: Organisation) -> None:
    """Add the demo company's contacts, items and tracking category ("Region"), and enable the foreign
    currencies its demo stores sell in, as Xero's own demo company has multi-currency on (idempotent:
    existing ones are left alone)."""
    for code in demo_books.DEMO_CURRENCIES:
        currency_enable(organisation=organisation, code=code)
    for name, email in demo_books.DEMO_CONTACTS:
        Contact.objects.get_or_create(
            organisation=organisation,
            name=name,
            status="ACTIVE",
            defaults={"email_address": email, "is_customer": True},
        )
    for name, options in demo_books.DEMO_TRACKING.items():
        tracking_seed(organisation=organisation, name=name, options=options)
    for row in demo_books.region_for(organisation.country_code).items:
        Item.objects.get_or_create(
            organisation=organisation,
            code=row.code,
            defaults={
                "name": row.name,
                "sales_unit_price": row.price,
                "sales_account_code": row.account_code,
                "sales_tax_type": row.tax_type,
            },
        )


def organisation_set_faults(*, organisation: Organisation, **faults: Any) -> Organisation:
    """Set fault knobs (keyword names from FAULT_FIELDS, without the `fault_` prefix or with it)."""
    changed = []
    for key, value in faults.items():
        field = key if key.startswith("fault_") else f"fault_{key}"
        if field not in FAULT_FIELDS:
            raise ValueError(f"Unknown fault {key!r}; known: {', '.join(FAULT_FIELDS)}")
        setattr(organisation, field, value)
        changed.append(field)
    organisation.full_clean(exclude=["name"])
    organisation.save(update_fields=changed)
    return organisation


def organisation_clear_faults(*, organisation: Organisation) -> Organisation:
    """Turn every fault off."""
    defaults = {field: Organisation._meta.get_field(field).get_default() for field in FAULT_FIELDS}  # type: ignore[union-attr]
    return organisation_set_faults(organisation=organisation, **defaults)


@transaction.atomic
def organisation_revoke_connections(*, organisation: Organisation) -> int:
    """Remove every app's connection to `organisation`, as a user disconnecting in Xero would.

    Grants left with no connection are revoked (their refresh tokens answer invalid_grant).
    Return how many connections were removed.
    """
    connections = list(Connection.objects.filter(organisation=organisation))
    pairs = {(c.app_id, c.user_id) for c in connections}
    Connection.objects.filter(pk__in=[c.pk for c in connections]).delete()
    for app_id, user_id in pairs:
        if not Connection.objects.filter(app_id=app_id, user_id=user_id).exists():
            Grant.objects.filter(app_id=app_id, user_id=user_id, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
    return len(connections)

"""Create organisations with their books, turn their fault knobs, revoke their connections."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from xero_sandbox import demo_books
from xero_sandbox.models import Account, Connection, Contact, Currency, Grant, Item, Organisation, TaxRate

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
    *, name: str, base_currency: str = "GBP", currencies: list[str] | None = None, country_code: str = "GB"
) -> Organisation:
    """Create an organisation with the demo chart of accounts, tax rates and currencies."""
    organisation = Organisation.objects.create(
        name=name, short_code=_short_code(name), base_currency=base_currency, country_code=country_code
    )
    codes = list(dict.fromkeys([base_currency, *(currencies or demo_books.DEFAULT_CURRENCIES)]))
    Currency.objects.bulk_create(
        Currency(organisation=organisation, code=code, description=demo_books.CURRENCY_NAMES.get(code, code))
        for code in codes
    )
    accounts = [(row, "ACTIVE") for row in demo_books.CHART_OF_ACCOUNTS]
    accounts += [(row, "ARCHIVED") for row in demo_books.ARCHIVED_ACCOUNTS]
    Account.objects.bulk_create(
        Account(
            organisation=organisation,
            code=code,
            name=account_name,
            type=type_,
            account_class=class_,
            tax_type=tax_type,
            system_account=system,
            status=status,
            enable_payments=code in demo_books.PAYMENT_ACCOUNT_CODES,
        )
        for (code, account_name, type_, class_, tax_type, system), status in accounts
    )
    TaxRate.objects.bulk_create(
        TaxRate(
            organisation=organisation,
            name=rate_name,
            tax_type=tax_type,
            rate=rate,
            report_tax_type=report,
            can_apply_to_revenue=revenue,
            can_apply_to_expenses=expenses,
        )
        for rate_name, tax_type, rate, report, revenue, expenses in demo_books.TAX_RATES
    )
    return organisation


def organisation_get_or_create(*, name: str) -> Organisation:
    """Return the organisation named `name`, creating it with the demo books when missing."""
    existing = Organisation.objects.filter(name=name).first()
    return existing or organisation_create(name=name)


def organisation_seed_demo_records(*, organisation: Organisation) -> None:
    """Add the demo company's contacts and items (idempotent: existing ones are left alone)."""
    for name, email in demo_books.DEMO_CONTACTS:
        Contact.objects.get_or_create(
            organisation=organisation,
            name=name,
            status="ACTIVE",
            defaults={"email_address": email, "is_customer": True},
        )
    for code, item_name, price, account, tax_type in demo_books.DEMO_ITEMS:
        Item.objects.get_or_create(
            organisation=organisation,
            code=code,
            defaults={
                "name": item_name,
                "sales_unit_price": price,
                "sales_account_code": account,
                "sales_tax_type": tax_type,
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

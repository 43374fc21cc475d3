"""Helpers for TESTS (never the portal) to stage and inspect the sandbox directly.

Every function takes keyword arguments. Organisations may be given as an `Organisation`,
a tenant id (str or UUID) or an organisation name. Reads return the Accounting API's JSON
shapes (PascalCase dicts), exactly what the SDK would see.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction

from .api import ratelimit
from .api.render import contact_json, invoice_json, item_json
from .api.render_banking import (
    bank_transaction_json,
    bank_transactions_related,
    bank_transfer_json,
    bank_transfers_related,
)
from .api.render_tracking import lines_with_tracking, tracking_category_json
from .models import (
    Account,
    BankTransaction,
    BankTransfer,
    Contact,
    DeveloperApp,
    Invoice,
    Item,
    LineItem,
    Organisation,
    RequestLog,
    TaxRate,
    TrackingCategory,
    WebhookDelivery,
)
from .services import (
    apps,
    balances,
    identity,
    organisation_settings,
    organisation_users,
    organisations,
    payments,
    tracking,
)
from .services import invoices as invoices_service

OrganisationRef = Organisation | str | uuid.UUID


def organisation_get(*, organisation: OrganisationRef) -> Organisation:
    """Return the organisation named by an instance, a tenant id or a name."""
    if isinstance(organisation, Organisation):
        return Organisation.objects.get(pk=organisation.pk)
    try:
        return Organisation.objects.get(tenant_id=uuid.UUID(str(organisation)))
    except ValueError:
        return Organisation.objects.get(name=str(organisation))


def app_create(
    *,
    name: str = "Test App",
    redirect_uri: str = "http://localhost/callback",
    webhook_url: str = "",
    tier: str = "starter",
) -> DeveloperApp:
    """Create a developer app (tier: starter, core, plus, advanced); `client_id`, `client_secret`… are attributes."""
    return apps.app_create(name=name, redirect_uris=[redirect_uri], webhook_url=webhook_url, tier=tier)


def app_tier_set(*, app: DeveloperApp, tier: str) -> DeveloperApp:
    """Move an app to another tier."""
    return apps.app_set_tier(app=app, tier=tier)


def organisation_create(
    *,
    name: str = "Demo Company (UK)",
    country: str = "GB",
    base_currency: str = "",
    currencies: list[str] | None = None,
    users: list[Any] | None = None,
) -> Organisation:
    """Create an organisation with its region's demo books (GB, AU, NZ, US); only the base currency enabled.

    `users` (Django users or usernames) may pick it on the consent page; nobody else may.
    """
    organisation = organisations.organisation_create(
        name=name, country=country, base_currency=base_currency, currencies=currencies
    )
    for user in users or []:
        organisation_user_grant(organisation=organisation, user=user)
    return organisation


def organisation_user_grant(*, organisation: OrganisationRef, user: Any) -> None:
    """Let a Django user (or a username) pick the organisation on the consent page, as its Xero user."""
    if isinstance(user, str):
        [user] = organisation_users.users_by_username(usernames=[user])
    organisation_users.organisation_user_grant(organisation=organisation_get(organisation=organisation), user=user)


def account_add(
    *,
    organisation: OrganisationRef,
    code: str,
    name: str,
    type: str,
    account_class: str,
    tax_type: str = "NONE",
    currency_code: str = "",
) -> Account:
    """Add an account to the organisation's chart, as the merchant would in Xero (e.g. a
    CURRLIAB "Gift Card Liability", or a BANK/ASSET account in `currency_code`, which must be enabled)."""
    found = organisation_get(organisation=organisation)
    if currency_code and not found.currencies.filter(code=currency_code).exists():
        raise ValueError(f"Enable {currency_code} in the organisation first (testing.currency_enable).")
    return Account.objects.create(
        organisation=found, code=code, name=name, type=type, account_class=account_class, tax_type=tax_type,
        currency_code="" if currency_code == found.base_currency else currency_code,
    )  # fmt: skip


def tax_rate_add(*, organisation: OrganisationRef, name: str, tax_type: str, rate: Any) -> TaxRate:
    """Add an ACTIVE tax rate for any class of account, as an organisation's own rate (TAX001…)."""
    return TaxRate.objects.create(
        organisation=organisation_get(organisation=organisation), name=name, tax_type=tax_type, rate=rate,
        report_tax_type="OUTPUT",
    )  # fmt: skip


def currency_enable(*, organisation: OrganisationRef, code: str) -> None:
    """Enable a currency in the organisation (only the base currency is enabled at first)."""
    organisations.currency_enable(organisation=organisation_get(organisation=organisation), code=code)


def lock_date_set(*, organisation: OrganisationRef, lock_date: dt.date | None) -> None:
    """Set (or clear, with None) the organisation's period lock date."""
    organisation_settings_set(organisation=organisation, lock_date=lock_date)


def token_issue(
    *, app: DeveloperApp, organisations: list[OrganisationRef], scopes: list[str] | None = None, expires_in: int = 1800
) -> dict[str, Any]:
    """Connect `organisations` to `app` and return an SDK-ready token dict (negative `expires_in` = expired)."""
    found = [organisation_get(organisation=o) for o in organisations]
    return identity.token_issue_direct(
        app=app, organisations=found, scopes=scopes, expires_in=expires_in
    ).as_sdk_token()


def organisation_settings_set(
    *,
    organisation: OrganisationRef,
    high_volume: bool | None = None,
    lock_date: dt.date | object | None = organisation_settings.UNCHANGED,
) -> Organisation:
    """Set the high-volume flag and/or the period lock date (None clears it)."""
    return organisation_settings.organisation_settings_set(
        organisation=organisation_get(organisation=organisation), high_volume=high_volume, lock_date=lock_date
    )


def faults_set(*, organisation: OrganisationRef, **faults: Any) -> Organisation:
    """Turn fault knobs: latency_ms, 500_share, 503_share, drop_share, ignore_idempotency, 429_storm."""
    return organisations.organisation_set_faults(organisation=organisation_get(organisation=organisation), **faults)


def faults_clear(*, organisation: OrganisationRef) -> Organisation:
    """Turn every fault of the organisation off."""
    return organisations.organisation_clear_faults(organisation=organisation_get(organisation=organisation))


def connections_revoke(*, organisation: OrganisationRef) -> int:
    """Remove every app's connection to the organisation (a user disconnecting in Xero)."""
    return organisations.organisation_revoke_connections(organisation=organisation_get(organisation=organisation))


def limits_reset(*, organisation: OrganisationRef | None = None) -> None:
    """Forget rate-limit counters of one organisation (and all app-wide counters), or of all."""
    tenant = str(organisation_get(organisation=organisation).tenant_id) if organisation is not None else None
    ratelimit.reset(tenant=tenant)


def limits_day_calls_add(*, organisation: OrganisationRef, calls: int) -> None:
    """Count `calls` more in the organisation's current day window, as if they had been made."""
    ratelimit.day_calls_add(tenant=str(organisation_get(organisation=organisation).tenant_id), calls=calls)


def invoices(*, organisation: OrganisationRef) -> list[dict[str, Any]]:
    """Return the organisation's invoices as the API renders them, oldest first."""
    found = Invoice.objects.filter(organisation=organisation_get(organisation=organisation)).order_by(
        "created_at", "pk"
    )
    related = found.select_related("contact").prefetch_related(
        lines_with_tracking(LineItem), "payments__account", "payments__invoice", "allocations__credit_note"
    )
    return [invoice_json(invoice) for invoice in related]


def tracking_category_add(*, organisation: OrganisationRef, name: str, options: list[str]) -> dict[str, Any]:
    """Give the organisation an ACTIVE tracking category with ACTIVE options (kept if present); return its API JSON."""
    category = tracking.tracking_seed(
        organisation=organisation_get(organisation=organisation), name=name, options=options
    )
    return tracking_category_json(TrackingCategory.objects.prefetch_related("options").get(pk=category.pk))


def tracking_categories(*, organisation: OrganisationRef) -> list[dict[str, Any]]:
    """Return the organisation's categories of every status, each with its options of every status, as API JSON."""
    found = TrackingCategory.objects.filter(organisation=organisation_get(organisation=organisation))
    every = ("ACTIVE", "ARCHIVED", "DELETED")
    return [tracking_category_json(c, statuses=every) for c in found.prefetch_related("options")]


def bank_transactions(*, organisation: OrganisationRef) -> list[dict[str, Any]]:
    """Return the organisation's bank transactions (every status) as the API renders them, oldest first."""
    found = BankTransaction.objects.filter(organisation=organisation_get(organisation=organisation))
    return [bank_transaction_json(t) for t in bank_transactions_related(found.order_by("created_at", "pk"))]


def bank_transfers(*, organisation: OrganisationRef) -> list[dict[str, Any]]:
    """Return the organisation's bank transfers (every status) as the API renders them, oldest first."""
    found = BankTransfer.objects.filter(organisation=organisation_get(organisation=organisation))
    return [bank_transfer_json(t) for t in bank_transfers_related(found.order_by("created_at", "pk"))]


def bank_transaction_reconcile(
    *, organisation: OrganisationRef, bank_transaction_id: str | uuid.UUID, reconciled: bool = True
) -> None:
    """Mark a bank transaction reconciled (or not) with a bank statement line, as a user reconciling
    it in Xero would: the sandbox has no bank statements."""
    BankTransaction.objects.filter(
        organisation=organisation_get(organisation=organisation), bank_transaction_id=bank_transaction_id
    ).update(is_reconciled=reconciled)


def bank_transfer_reconcile(
    *, organisation: OrganisationRef, bank_transfer_id: str | uuid.UUID, from_side: bool = True, to_side: bool = True
) -> None:
    """Set whether each side of a bank transfer is reconciled with a bank statement line."""
    BankTransfer.objects.filter(
        organisation=organisation_get(organisation=organisation), bank_transfer_id=bank_transfer_id
    ).update(from_is_reconciled=from_side, to_is_reconciled=to_side)


def account_balance(*, organisation: OrganisationRef, code: str) -> Decimal:
    """The net movement (debits positive) of the account `code` from the sandbox's payments, bank
    transactions and bank transfers, not deleted; e.g. 0 for a clearing account whose payments were
    all paid out to the bank. A test aid: the sandbox serves no Reports (see services/balances.py)."""
    return balances.account_movement(organisation=organisation_get(organisation=organisation), code=code)


def items(*, organisation: OrganisationRef) -> list[dict[str, Any]]:
    """Return the organisation's items as the API renders them, by code."""
    return [item_json(i) for i in Item.objects.filter(organisation=organisation_get(organisation=organisation))]


def contacts(*, organisation: OrganisationRef) -> list[dict[str, Any]]:
    """Return the organisation's contacts (active and archived) as the API renders them, by name."""
    return [contact_json(c) for c in Contact.objects.filter(organisation=organisation_get(organisation=organisation))]


def request_count(
    *, organisation: OrganisationRef, method: str | None = None, path_contains: str = "", status: int | None = None
) -> int:
    """Count logged requests to the organisation, optionally by method, path fragment and status."""
    rows = RequestLog.objects.filter(organisation=organisation_get(organisation=organisation))
    if method:
        rows = rows.filter(method=method.upper())
    if path_contains:
        rows = rows.filter(path__contains=path_contains)
    if status is not None:
        rows = rows.filter(status=status)
    return rows.count()


def invoice_mark_paid(*, organisation: OrganisationRef, invoice_number: str) -> None:
    """Pay an AUTHORISED invoice in full (like the page's button); sends the webhook event on commit."""
    invoice = Invoice.objects.get(
        organisation=organisation_get(organisation=organisation), invoice_number=invoice_number
    )
    payments.invoice_mark_paid(invoice=invoice)


def invoice_void(*, organisation: OrganisationRef, invoice_number: str) -> None:
    """Void (or delete, if not yet approved) an invoice as a Xero user does; sends the webhook event on commit."""
    invoice = Invoice.objects.get(
        organisation=organisation_get(organisation=organisation), invoice_number=invoice_number
    )
    payments.invoice_void_in_xero(invoice=invoice)


def invoice_edit(*, organisation: OrganisationRef, invoice_number: str, unit_amount: Decimal) -> dict[str, Any]:
    """Change the first line's unit price of an invoice as a Xero user does (the edit goes through
    the same rules as `POST Invoices`: a paid or void invoice refuses it); sends the webhook event
    on commit. Return the invoice as the API answers it, or raise ValueError with Xero's reason."""
    invoice = Invoice.objects.get(
        organisation=organisation_get(organisation=organisation), invoice_number=invoice_number
    )
    lines = invoice_json(invoice)["LineItems"]
    lines[0] = {**lines[0], "UnitAmount": float(unit_amount), "LineAmount": None}
    lines[0] = {k: v for k, v in lines[0].items() if v is not None}
    with transaction.atomic():
        [result] = invoices_service.invoices_save(
            organisation=invoice.organisation,
            payloads=[{"InvoiceID": str(invoice.invoice_id), "LineItems": lines}],
            update=True,
        )
    if result.errors:
        raise ValueError("; ".join(result.errors))
    invoice.refresh_from_db()
    return invoice_json(invoice)


def webhook_deliveries(*, app: DeveloperApp) -> list[WebhookDelivery]:
    """Return the app's webhook deliveries, newest first."""
    return list(WebhookDelivery.objects.filter(app=app).order_by("-created_at", "-pk"))

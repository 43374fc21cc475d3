"""Which Xero account a channel's payments and refunds go to, per payment method.

Nothing is guessed (DESIGN invariant 8): Xero accepts a payment to any bank or payment-enabled
account, and a wrong one only shows at the bank reconciliation. The operator chooses a default and,
per method the store sends ("card", "paypal", …), an override, from the organisation's ACTIVE bank
accounts and accounts with "EnablePaymentsToAccount" as last read from Xero. Until then the
store's payments wait with a message saying where to choose; choosing releases them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from accounting.access.client import channel_xero_client
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.models import AccountingChannel, ChannelPaymentAccount, payment_method_key
from accounting.providers.xero import books
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroError
from accounting.providers.xero.scopes import allows_payments
from accounting.sync.ledger.actions import sync_choice_made
from accounting.sync.models import ChannelSyncSettings, WaitingFor

RECONNECT_FOR_PAYMENTS = (
    "Reconnect to allow payments: this channel was connected without Xero's “accounting.payments” "
    "permission. Payments and refunds wait until it is reconnected."
)


def channel_allows_payments(*, channel: AccountingChannel) -> bool:
    """Return whether the channel's consent covers Xero's Payments (the scope granted at connect)."""
    return allows_payments(channel.granted_scopes())


def payment_account_missing_message(*, method: str) -> str:
    named = f"payments by “{method}”" if method else "payments"
    return (
        f"No Xero account is chosen for {named}: choose one (or a default) under Payment accounts on the channel page."
    )


def payment_account_stale_message(*, account: ChannelPaymentAccount) -> str:
    return (
        f"The Xero account “{account.account_name or account.account_code}” chosen for "
        f"{'payments by “' + account.method + '”' if account.method else 'payments'} is no longer an active bank "
        "or payment-enabled account in Xero: choose another under Payment accounts on the channel page."
    )


@dataclass(frozen=True)
class PaymentAccountChoice:
    method: str  # "" for the default
    account_id: str


def payment_account_for(*, channel: AccountingChannel, method: str) -> ChannelPaymentAccount | None:
    """Return the account chosen for `method` on the channel, else its default, else None."""
    chosen = {a.method: a for a in ChannelPaymentAccount.objects.filter(channel=channel)}
    return chosen.get(payment_method_key(method)) or chosen.get("")


def payment_accounts_cached(*, channel: AccountingChannel) -> list[dict[str, str]] | None:
    """Return the organisation's payment accounts as last read from Xero, or None when never read."""
    cached = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=channel.tenant_id).first()
    if cached is None or not isinstance(cached.payment_accounts, dict):
        return None
    accounts = cached.payment_accounts.get("accounts")
    return accounts if isinstance(accounts, list) else None


def payment_accounts_read(*, channel: AccountingChannel, client: XeroClient) -> list[dict[str, str]]:
    """Read the organisation's ACTIVE bank and payment-enabled accounts from Xero; cache and return them."""
    return payment_accounts_keep(channel=channel, tenant_id=client.tenant_id, accounts=client.accounts())


def payment_accounts_keep(*, channel: AccountingChannel, tenant_id: str, accounts: list[Any]) -> list[dict[str, str]]:
    """Keep the payment accounts among the organisation's accounts (SDK Accounts) just read; return them."""
    usable = books.payment_accounts(accounts)
    cached = ChannelSyncSettings.objects.filter(channel=channel).first()
    if cached is None or cached.tenant_id != tenant_id:
        # A row of another tenant (reconnected elsewhere) forgets that tenant's lookups.
        ChannelSyncSettings.objects.update_or_create(
            channel=channel,
            defaults={
                "tenant_id": tenant_id,
                "default_sales_account": "",
                "sales_tax_rates": {},
                "payment_accounts": {"accounts": usable},
            },
        )
    else:
        ChannelSyncSettings.objects.filter(pk=cached.pk).update(payment_accounts={"accounts": usable})
    return usable


def channel_payment_accounts_refresh(*, channel: AccountingChannel) -> list[dict[str, str]]:
    """Read the organisation's payment accounts from Xero again; ValidationError when Xero cannot be asked."""
    try:
        client, _gate = channel_xero_client(channel=channel)
        return payment_accounts_read(channel=channel, client=client)
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        raise ValidationError(f"The accounts could not be read from Xero: {exc}") from None
    except XeroError as exc:
        raise ValidationError(f"The accounts could not be read from Xero: {exc.message}") from None


def _clean_method(method: str) -> str:
    key = payment_method_key(method)
    if len(key) > ChannelPaymentAccount._meta.get_field("method").max_length:  # type: ignore[operator]
        raise ValidationError(f"The payment method “{method[:60]}” is longer than 50 characters.")
    return key


def channel_payment_accounts_check(
    *, channel: AccountingChannel, choices: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Return ({method key: AccountID or ""}, the organisation's accounts by id); raise ValidationError
    unless every account is one of its ACTIVE bank or payment-enabled accounts as last read from Xero."""
    accounts = payment_accounts_cached(channel=channel)
    if accounts is None:
        raise ValidationError("The organisation's accounts have not been read from Xero yet: read them first.")
    by_id = {a["account_id"]: a for a in accounts}
    cleaned: dict[str, str] = {}
    errors = []
    for method, account_id in choices.items():
        key = _clean_method(method)
        if account_id and account_id not in by_id:
            errors.append(
                f"The account chosen for {'“' + key + '”' if key else 'the default'} is not an active bank or "
                "payment-enabled account of the organisation."
            )
        cleaned[key] = account_id
    if errors:
        raise ValidationError(errors)
    return cleaned, by_id


@transaction.atomic
def channel_payment_accounts_set(
    *, channel: AccountingChannel, choices: Mapping[str, str], user: User | None = None
) -> int:
    """Set the account of each method in `choices` ({method or "" for the default: AccountID, or ""
    to remove an override}); return how many payments and refunds that waited for one are queued again.

    Every account must be one of the organisation's ACTIVE bank or payment-enabled accounts as last
    read from Xero; otherwise nothing changes and ValidationError says which.
    """
    cleaned, by_id = channel_payment_accounts_check(channel=channel, choices=choices)
    for key, account_id in cleaned.items():
        if not account_id:
            ChannelPaymentAccount.objects.filter(channel=channel, method=key).delete()
            continue
        account = by_id[account_id]
        ChannelPaymentAccount.objects.update_or_create(
            channel=channel,
            method=key,
            defaults={
                "account_id": account_id,
                "account_code": account["code"][:10],
                "account_name": account["name"][:150],
                "chosen_by": user,
            },
        )
    return _waiting_payments_retry(channel=channel)


def _waiting_payments_retry(*, channel: AccountingChannel) -> int:
    """Queue again the channel's payments and refunds that waited for an account."""
    return sync_choice_made(channel_id=channel.pk, waiting_for=WaitingFor.PAYMENT_ACCOUNTS)


@dataclass(frozen=True)
class PaymentAccountRow:
    """One row of the channel page's "Payment accounts" card."""

    method: str  # "" for the default
    label: str
    field_name: str
    selected: str  # AccountID
    status: str


def channel_payment_account_rows(
    *, channel: AccountingChannel, accounts: list[dict[str, str]] | None, store_methods: list[str]
) -> list[PaymentAccountRow]:
    """Return the default row, then one row per method chosen or used by the store's payments."""
    chosen = {a.method: a for a in ChannelPaymentAccount.objects.filter(channel=channel)}
    live = {a["account_id"] for a in accounts or []}
    methods = sorted({m for m in chosen if m} | {payment_method_key(m) for m in store_methods if m.strip()})
    rows = []
    for index, method in enumerate(["", *methods]):
        account = chosen.get(method)
        if account is None:
            status = "Not chosen: payments wait" if not method else "Uses the default"
        elif accounts is not None and account.account_id not in live:
            status = "No longer active in Xero: choose another"
        else:
            status = "Chosen"
        rows.append(
            PaymentAccountRow(
                method=method,
                label=method or "Default (any method)",
                field_name=f"account_{index}",
                selected=account.account_id if account else "",
                status=status,
            )
        )
    return rows

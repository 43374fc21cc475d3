"""What Xero's settings answers (Organisation, Accounts, Currencies, limit headers) mean for
sending sales invoices: read by the channel checks (`accounting.checks.xero_check`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accounting.providers.xero.headers import RateHeaders
from accounting.providers.xero.mapping.common import SALES_ACCOUNT_TYPES
from accounting.providers.xero.values import AccountClass, AccountType, RecordStatus, text


def organisation_summary(organisation: Any) -> str:
    """Return "<name> (<country>, base currency <code>, <status>)"."""
    return (
        f"{organisation.name} ({text(organisation.country_code) or 'no country'}, base currency "
        f"{text(organisation.base_currency) or '?'}, {text(organisation.organisation_status) or 'status unknown'})"
    )


def organisation_tenant_id(organisation: Any) -> str:
    """Return the tenant id of an Organisation answer (Xero's OrganisationID is the tenant id)."""
    return str(organisation.organisation_id or "")


ACCOUNT_MISSING = "does not exist in Xero"


def account_problem(*, code: str, accounts: Iterable[Any]) -> tuple[str, str]:
    """Return (description, problem) of account `code` for sales lines; problem "" when it suits.

    An invoice line's account must exist, be ACTIVE, and be a revenue account (Class REVENUE)
    that is neither a bank nor a system account.
    """
    account = next((a for a in accounts if (a.code or "") == code), None)
    if account is None:
        return f"Account {code}", ACCOUNT_MISSING
    described = f"Account {code} “{account.name}” ({text(account.type)}, {text(account._class)})"
    if text(account.status) != RecordStatus.ACTIVE:
        return described, f"is {text(account.status) or 'not active'} in Xero"
    if text(account._class) != AccountClass.REVENUE or text(account.type) == AccountType.BANK or account.system_account:
        return described, "is not a revenue account: sales lines need one"
    return described, ""


def default_sales_account(accounts: Iterable[Any]) -> Any | None:
    """Return the account Xero's own order of preference gives sales lines, or None."""
    revenue = [
        a for a in accounts
        if a.code and text(a._class) == AccountClass.REVENUE and text(a.status) == RecordStatus.ACTIVE
    ]  # fmt: skip
    for wanted in SALES_ACCOUNT_TYPES:
        for account in revenue:
            if text(account.type) == wanted:
                return account
    return revenue[0] if revenue else None


def currency_codes(currencies: Iterable[Any]) -> set[str]:
    return {text(c.code) for c in currencies if c.code}


def limits_remaining(headers: Mapping[str, str]) -> dict[str, int | None]:
    """Return the calls Xero says remain (by label: today, this minute, …) from an answer's headers."""
    return RateHeaders.of(headers).shown()


def payment_accounts(accounts: Iterable[Any]) -> list[dict[str, str]]:
    """Return the ACTIVE accounts payments may go to (Type BANK, or EnablePaymentsToAccount), by name.

    Xero refuses a payment to any other account; bank accounts may have no code, so each is
    known by its AccountID.
    """
    usable = []
    for account in accounts:
        if not account.account_id or text(account.status) != RecordStatus.ACTIVE:
            continue
        if text(account.type) == AccountType.BANK or account.enable_payments_to_account:
            usable.append(
                {
                    "account_id": str(account.account_id),
                    "code": str(account.code or ""),
                    "name": str(account.name or ""),
                    "type": text(account.type),
                }
            )
    return sorted(usable, key=lambda a: (a["name"].lower(), a["code"]))


def payment_account_label(account: Mapping[str, str]) -> str:
    """Return "<name> (<code>, <type>)" of an account of `payment_accounts`."""
    details = ", ".join(part for part in (account.get("code", ""), account.get("type", "").title()) if part)
    return f"{account.get('name') or account.get('account_id')} ({details})" if details else account.get("name", "")

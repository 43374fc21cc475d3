"""What Xero's settings answers (Organisation, Accounts, Currencies, limit headers) mean for
sending sales invoices: read by the channel checks (`accounting.xero_check`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accounting.providers.xero.mapping import SALES_ACCOUNT_TYPES

LIMIT_HEADERS = {
    "today": "X-DayLimit-Remaining",
    "this minute": "X-MinLimit-Remaining",
    "this minute for the whole app": "X-AppMinLimit-Remaining",
}


def _value(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def organisation_summary(organisation: Any) -> str:
    """Return "<name> (<country>, base currency <code>, <status>)"."""
    return (
        f"{organisation.name} ({_value(organisation.country_code) or 'no country'}, base currency "
        f"{_value(organisation.base_currency) or '?'}, {_value(organisation.organisation_status) or 'status unknown'})"
    )


def organisation_tenant_id(organisation: Any) -> str:
    """Return the tenant id of an Organisation answer (Xero's OrganisationID is the tenant id)."""
    return str(organisation.organisation_id or "")


def account_problem(*, code: str, accounts: Iterable[Any]) -> tuple[str, str]:
    """Return (description, problem) of account `code` for sales lines; problem "" when it suits.

    An invoice line's account must exist, be ACTIVE, and be a revenue account (Class REVENUE)
    that is neither a bank nor a system account.
    """
    account = next((a for a in accounts if (a.code or "") == code), None)
    if account is None:
        return f"Account {code}", "does not exist in Xero"
    described = f"Account {code} “{account.name}” ({_value(account.type)}, {_value(account._class)})"
    if _value(account.status) != "ACTIVE":
        return described, f"is {_value(account.status) or 'not active'} in Xero"
    if _value(account._class) != "REVENUE" or _value(account.type) == "BANK" or account.system_account:
        return described, "is not a revenue account: sales lines need one"
    return described, ""


def default_sales_account(accounts: Iterable[Any]) -> Any | None:
    """Return the account Xero's own order of preference gives sales lines, or None."""
    revenue = [a for a in accounts if a.code and _value(a._class) == "REVENUE" and _value(a.status) == "ACTIVE"]
    for wanted in SALES_ACCOUNT_TYPES:
        for account in revenue:
            if _value(account.type) == wanted:
                return account
    return revenue[0] if revenue else None


def currency_codes(currencies: Iterable[Any]) -> set[str]:
    return {_value(c.code) for c in currencies if c.code}


def limits_remaining(headers: Mapping[str, str]) -> dict[str, int | None]:
    """Return the calls Xero says remain (by LIMIT_HEADERS label) from an answer's headers."""
    lowered = {k.lower(): v for k, v in headers.items()}
    remaining: dict[str, int | None] = {}
    for label, header in LIMIT_HEADERS.items():
        raw = lowered.get(header.lower())
        remaining[label] = int(raw) if raw is not None and raw.strip().isdigit() else None
    return remaining


def payment_accounts(accounts: Iterable[Any]) -> list[dict[str, str]]:
    """Return the ACTIVE accounts payments may go to (Type BANK, or EnablePaymentsToAccount), by name.

    Xero refuses a payment to any other account; bank accounts may have no code, so each is
    known by its AccountID.
    """
    usable = []
    for account in accounts:
        if not account.account_id or _value(account.status) != "ACTIVE":
            continue
        if _value(account.type) == "BANK" or account.enable_payments_to_account:
            usable.append(
                {
                    "account_id": str(account.account_id),
                    "code": str(account.code or ""),
                    "name": str(account.name or ""),
                    "type": _value(account.type),
                }
            )
    return sorted(usable, key=lambda a: (a["name"].lower(), a["code"]))


def payment_account_label(account: Mapping[str, str]) -> str:
    """Return "<name> (<code>, <type>)" of an account of `payment_accounts`."""
    details = ", ".join(part for part in (account.get("code", ""), account.get("type", "").title()) if part)
    return f"{account.get('name') or account.get('account_id')} ({details})" if details else account.get("name", "")

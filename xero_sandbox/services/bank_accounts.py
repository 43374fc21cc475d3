"""Which bank account a bank transaction or a bank transfer names, and its currency.

Xero takes a bank account by `AccountID` or `Code` ("If Code is not included then AccountID is
required", the Bank Transfers page; calcinai/xero-php#108), and only an account of Type BANK
("BankAccount: Bank account for transaction. Only accounts of Type BANK will be accepted", Xero's
Bank Transactions page as Linx's Xero connector docs reproduce it). A bank account has a currency
(the Accounts page's `CurrencyCode`; foreign-currency bank accounts exist), and money in it is in
that currency. The wording of the refusals is the sandbox's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from xero_sandbox.models import Account, Organisation
from xero_sandbox.parse import text


def account_currency(account: Account, organisation: Organisation) -> str:
    """The account's currency: its own, or the organisation's base currency."""
    return account.currency_code or organisation.base_currency


@dataclass
class BankAccounts:
    """The organisation's accounts by id and by code (one query per request)."""

    organisation: Organisation
    by_id: dict[str, Account] = field(default_factory=dict)
    by_code: dict[str, Account] = field(default_factory=dict)

    @classmethod
    def load(cls, organisation: Organisation) -> BankAccounts:
        accounts = list(Account.objects.filter(organisation=organisation))
        return cls(
            organisation=organisation,
            by_id={str(a.account_id): a for a in accounts},
            by_code={a.code: a for a in accounts},
        )

    def resolve(self, raw: Any, *, label: str, errors: list[str]) -> Account | None:
        """Return the ACTIVE BANK account `raw` names (by AccountID, else Code), or None with a refusal."""
        ref: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if not (ref.get("AccountID") or ref.get("Code")):
            errors.append(f"A {label} must be specified with its AccountID or Code.")
            return None
        if ref.get("AccountID"):
            named = f"AccountID '{text(ref.get('AccountID'))}'"
            try:
                found = self.by_id.get(str(uuid.UUID(text(ref.get("AccountID")))))
            except ValueError:
                found = None
        else:
            named = f"Account code '{text(ref.get('Code'))}'"
            found = self.by_code.get(text(ref.get("Code")))
        if found is None or found.status != "ACTIVE" or found.type != "BANK":
            errors.append(f"{label}: {named} is not an ACTIVE bank account (Type BANK).")
            return None
        return found

    def currency(self, account: Account) -> str:
        return account_currency(account, self.organisation)

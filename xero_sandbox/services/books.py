"""What a batch write needs to know about an organisation's books, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from xero_sandbox.models import Account, Organisation, TaxRate

CENT = Decimal("0.01")
# System accounts and bank accounts cannot carry lines of a sales or purchase document. The
# ROUNDING system account can: Xero's "Rounding in Xero" guide has integrations add a rounding
# line for the difference, and integrations post it to 860 Rounding (see the README).
NOT_FOR_DOCUMENTS = {"DEBTORS", "CREDITORS", "GST", "RETAINEDEARNINGS", "HISTORICAL"}

# Which CanApplyTo… flag of a tax rate an account class asks for.
CLASS_FLAGS = {
    "REVENUE": "can_apply_to_revenue",
    "EXPENSE": "can_apply_to_expenses",
    "ASSET": "can_apply_to_assets",
    "LIABILITY": "can_apply_to_liabilities",
    "EQUITY": "can_apply_to_equity",
}


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Books:
    organisation: Organisation
    accounts: dict[str, Account] = field(default_factory=dict)
    tax_rates: dict[str, TaxRate] = field(default_factory=dict)
    currencies: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, organisation: Organisation) -> Books:
        """Return the organisation's accounts, tax rates and currencies (three queries)."""
        return cls(
            organisation=organisation,
            accounts={a.code: a for a in Account.objects.filter(organisation=organisation)},
            tax_rates={t.tax_type: t for t in TaxRate.objects.filter(organisation=organisation)},
            currencies=set(organisation.currencies.values_list("code", flat=True)),
        )

    def account_error(self, code: str) -> str | None:
        """Return why `code` cannot be used on a sales or purchase line, or None when it can."""
        account = self.accounts.get(code)
        if (
            account is None
            or account.status != "ACTIVE"
            or account.type == "BANK"
            or account.system_account in NOT_FOR_DOCUMENTS
        ):
            return f"Account code '{code}' is not a valid code for this document."
        return None

    def tax_type_error(self, tax_type: str, *, account_code: str = "", sales: bool = True) -> str | None:
        """Return why `tax_type` cannot be used on a line (with `account_code`), or None when it can.

        Xero checks a rate against the class of the line's account (CanApplyToRevenue for revenue
        accounts, CanApplyToAssets for asset accounts, …); without an account, against the document.
        """
        rate = self.tax_rates.get(tax_type)
        if rate is None or rate.status != "ACTIVE":
            return f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of transaction."
        account = self.accounts.get(account_code)
        if account is not None:
            flag = CLASS_FLAGS.get(account.account_class, "can_apply_to_revenue")
            if not getattr(rate, flag):
                return f"The TaxType code '{tax_type}' cannot be used with account code '{account_code}'."
        elif sales and not rate.can_apply_to_revenue:
            return f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of transaction."
        return None

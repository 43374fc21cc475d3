"""What a batch write needs to know about an organisation's books, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from xero_sandbox.models import Account, Organisation, TaxRate

CENT = Decimal("0.01")
# System accounts and bank accounts cannot carry lines of a sales or purchase document.
NOT_FOR_DOCUMENTS = {"DEBTORS", "CREDITORS", "GST", "RETAINEDEARNINGS", "HISTORICAL", "ROUNDING"}


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

    def tax_type_error(self, tax_type: str, *, sales: bool) -> str | None:
        rate = self.tax_rates.get(tax_type)
        if rate is None or rate.status != "ACTIVE" or (sales and not rate.can_apply_to_revenue):
            return f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of transaction."
        return None

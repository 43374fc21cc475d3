"""A channel's line accounts: where shipping, discount, gift-card and rounding lines go in Xero.

Nothing is guessed (DESIGN invariant 8): each account is the operator's choice among the
organisation's accounts that suit it (active, of a fitting class, not a bank or a system account
other than Rounding), as last read from Xero. An invoice that needs an unset account waits with
a message that says where to set it; saving the setting releases those invoices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from accounting.access.client import channel_xero_client
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.models import AccountingChannel, ChannelLineAccounts, DiscountMode
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroError
from accounting.providers.xero.mapping import LineAccounts
from accounting.providers.xero.values import AccountClass, AccountType, RecordStatus, SystemAccount, text
from accounting.sync.ledger.actions import sync_choice_made
from accounting.sync.models import WaitingFor


@dataclass(frozen=True)
class AccountRule:
    """Which of the organisation's accounts may carry one kind of line."""

    field: str
    label: str
    classes: frozenset[str]
    rounding_system_account: bool = False


RULES = (
    AccountRule("shipping_account", "Shipping account", frozenset({AccountClass.REVENUE})),
    AccountRule("discount_account", "Discount account", frozenset({AccountClass.REVENUE, AccountClass.EXPENSE})),
    AccountRule("gift_card_account", "Gift card liability account", frozenset({AccountClass.LIABILITY})),
    AccountRule(
        "rounding_account", "Rounding account",
        frozenset({AccountClass.REVENUE, AccountClass.EXPENSE, AccountClass.LIABILITY}), rounding_system_account=True,
    ),
)  # fmt: skip
RULES_BY_FIELD = {rule.field: rule for rule in RULES}


@dataclass(frozen=True)
class ChartAccount:
    code: str
    name: str
    type: str
    account_class: str
    status: str
    system_account: str
    tax_type: str

    def label(self) -> str:
        return f"{self.code} {self.name}"


def chart_dump(*, tenant_id: str, accounts: Iterable[Any], tax_rates: Iterable[Any]) -> dict[str, Any]:
    """Return the JSON kept of the organisation's chart (SDK Accounts) and its 0% tax types (SDK TaxRates)."""
    zero = []
    expense = []
    for rate in tax_rates:
        try:
            effective = Decimal(str(rate.effective_rate))
        except (InvalidOperation, TypeError):
            continue
        if rate.tax_type and effective == 0 and text(rate.status) == RecordStatus.ACTIVE:
            zero.append(str(rate.tax_type))
        if rate.tax_type and text(rate.status) == RecordStatus.ACTIVE and rate.can_apply_to_expenses:
            expense.append({"tax_type": str(rate.tax_type), "name": str(rate.name or ""), "rate": str(effective)})
    listed = [
        {
            "code": str(a.code), "name": str(a.name or ""), "type": text(a.type), "class": text(a._class),
            "status": text(a.status), "system_account": text(a.system_account), "tax_type": str(a.tax_type or ""),
        }
        for a in accounts
        if a.code
    ]  # fmt: skip
    return {
        "tenant_id": tenant_id, "accounts": listed, "zero_tax_types": sorted(zero),
        # The tax types a gateway's fees may carry (payouts): ACTIVE, applying to expenses.
        "expense_tax_types": sorted(expense, key=lambda r: r["name"].casefold()),
    }  # fmt: skip


def chart_accounts(chart: Mapping[str, Any]) -> list[ChartAccount]:
    return [
        ChartAccount(
            code=a["code"], name=a["name"], type=a["type"], account_class=a["class"], status=a["status"],
            system_account=a["system_account"], tax_type=a["tax_type"],
        )
        for a in chart.get("accounts", [])
    ]  # fmt: skip


def account_suits(account: ChartAccount, rule: AccountRule) -> bool:
    """Return whether `account` may carry the rule's lines: active, a fitting class, not a bank
    account, and not a system account (except Rounding for the rounding line)."""
    if account.status != RecordStatus.ACTIVE or account.type == AccountType.BANK:
        return False
    if account.system_account:
        return rule.rounding_system_account and account.system_account == SystemAccount.ROUNDING
    return account.account_class in rule.classes


def account_options(*, chart: Mapping[str, Any], field: str) -> list[ChartAccount]:
    rule = RULES_BY_FIELD[field]
    return [a for a in chart_accounts(chart) if account_suits(a, rule)]


def line_accounts_of(*, channel: AccountingChannel) -> ChannelLineAccounts:
    """Return the channel's line accounts (unsaved and empty when never set)."""
    found = ChannelLineAccounts.objects.filter(channel=channel).first()
    return found if found is not None else ChannelLineAccounts(channel=channel)


def channel_line_accounts(*, channel: AccountingChannel, sales: str) -> LineAccounts:
    """Return what the invoice mapping needs: each kind's account code, the discount mode."""
    row = line_accounts_of(channel=channel)
    return LineAccounts(
        sales=sales, shipping=row.shipping_account, discount=row.discount_account,
        gift_card=row.gift_card_account, rounding=row.rounding_account,
        rounding_tax_type=row.rounding_tax_type, discount_mode=row.discount_mode,
    )  # fmt: skip


def channel_chart(
    *, channel: AccountingChannel, client: XeroClient, refresh: bool = False, tax_rates: list[Any] | None = None
) -> dict[str, Any]:
    """Return the organisation's chart as last read from Xero; read it (Accounts, and TaxRates
    unless the caller just read them: `tax_rates`) and keep it when it was never read for the
    connected organisation, or when `refresh`."""
    row = line_accounts_of(channel=channel)
    if not refresh and row.chart.get("tenant_id") == client.tenant_id:
        return row.chart
    rates = tax_rates if tax_rates is not None else client.tax_rates()
    chart = chart_dump(tenant_id=client.tenant_id, accounts=client.accounts(), tax_rates=rates)
    channel_chart_keep(channel=channel, chart=chart)
    return chart


def channel_chart_keep(*, channel: AccountingChannel, chart: dict[str, Any]) -> None:
    """Keep the organisation's chart (`chart_dump`) as just read from Xero for the channel."""
    with transaction.atomic():
        row, _created = ChannelLineAccounts.objects.select_for_update().get_or_create(channel=channel)
        row.chart = chart
        row.save(update_fields=["chart", "updated_at"])


def account_tax_types(
    *, channel: AccountingChannel, client: XeroClient, tax_rates: list[Any] | None = None
) -> dict[str, str]:
    """Return the default tax type of each ACTIVE account of the organisation, by code."""
    chart = channel_chart(channel=channel, client=client, tax_rates=tax_rates)
    return {a.code: a.tax_type for a in chart_accounts(chart) if a.status == RecordStatus.ACTIVE and a.tax_type}


def channel_chart_refresh(*, channel: AccountingChannel) -> int:
    """Read the organisation's accounts and tax rates from Xero again and keep them; return the
    number of accounts. Raise ValidationError with a message for the page when Xero cannot be asked."""
    try:
        client, _gate = channel_xero_client(channel=channel)
        chart = channel_chart(channel=channel, client=client, refresh=True)
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        raise ValidationError(f"The accounts could not be read from Xero: {exc}") from None
    except XeroError as exc:
        raise ValidationError(f"The accounts could not be read from Xero: {exc.message}") from None
    return len(chart["accounts"])


def account_unsuitable_message(*, label: str) -> str:
    return f"Account {label} cannot carry these lines: choose one of those listed."


def rounding_account_taxed_message(*, label: str, tax_type: str) -> str:
    return (
        f"Account {label} has the tax type {tax_type or 'none'} in Xero, not a 0% one: "
        "rounding lines carry no tax. Choose another account or change its tax in Xero."
    )


def line_accounts_check(*, channel: AccountingChannel, values: Mapping[str, str]) -> dict[str, str]:
    """Return the cleaned settings (plus the rounding account's tax type) of `values`, or raise
    ValidationError with field errors; every account must be one the chart offers for it."""
    row = line_accounts_of(channel=channel)
    chart = row.chart if row.chart.get("tenant_id") == channel.tenant_id else {}
    if not chart:
        raise ValidationError("The organisation's accounts have not been read from Xero yet: read them first.")
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    mode = values.get("discount_mode", DiscountMode.LINE)
    if mode not in DiscountMode.values:
        errors["discount_mode"] = "Choose how discounts go to Xero."
    cleaned["discount_mode"] = mode
    by_code = {a.code: a for a in chart_accounts(chart)}
    for rule in RULES:
        code = (values.get(rule.field) or "").strip()
        cleaned[rule.field] = code
        if not code:
            continue
        account = by_code.get(code)
        if account is None:
            errors[rule.field] = f"Account {code} is not in the organisation's chart as last read from Xero."
        elif not account_suits(account, rule):
            errors[rule.field] = account_unsuitable_message(label=account.label())
    rounding = by_code.get(cleaned["rounding_account"])
    cleaned["rounding_tax_type"] = rounding.tax_type if rounding is not None else ""
    if rounding is not None and "rounding_account" not in errors and rounding.tax_type not in chart["zero_tax_types"]:
        errors["rounding_account"] = rounding_account_taxed_message(label=rounding.label(), tax_type=rounding.tax_type)
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def channel_line_accounts_set(
    *, channel: AccountingChannel, values: Mapping[str, str], user: User | None = None
) -> int:
    """Save the channel's line accounts; return how many invoices that waited for one are queued
    again. Nothing is saved on refusal."""
    cleaned = line_accounts_check(channel=channel, values=values)
    row, _created = ChannelLineAccounts.objects.select_for_update().get_or_create(channel=channel)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_by = user
    row.save()
    return sync_choice_made(channel_id=channel.pk, waiting_for=WaitingFor.LINE_ACCOUNTS)

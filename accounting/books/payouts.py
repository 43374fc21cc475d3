"""Where a gateway's payouts go in Xero, per payment method: the bank account the gateway pays
into, and the expense account and tax type of its fees (next to the clearing account the method's
payments go to, `payment_accounts`).

Never guessed: each is chosen by the operator from the organisation's accounts as last read from
Xero; until then a payout waits, saying where to choose. The clearing account's own tax type is the
one its account has in Xero (what Xero itself applies to a line without one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from accounting.books.line_accounts import chart_accounts, line_accounts_of
from accounting.books.payment_accounts import payment_accounts_cached
from accounting.models import AccountingChannel, ChannelPaymentAccount, payment_method_key
from accounting.providers.xero.scopes import BANK_SCOPE, allows_bank_transactions
from accounting.providers.xero.values import AccountClass, AccountType, RecordStatus
from accounting.sync.ledger.actions import sync_choice_made
from accounting.sync.models import WaitingFor

RECONNECT_FOR_PAYOUTS = (
    "Reconnect to allow payouts: sending them needs Xero's “accounting.banktransactions” permission, which "
    "this channel's connection does not have. Connect again (the channel keeps its history); payouts wait until then."
)


def channel_allows_payouts(*, channel: AccountingChannel) -> bool:
    return allows_bank_transactions(channel.granted_scopes())


def payouts_set_up(*, channel: AccountingChannel) -> bool:
    """Return whether a payout bank account is chosen for any method (the connect flow then asks
    for the bank transactions scope)."""
    return ChannelPaymentAccount.objects.filter(channel=channel).exclude(payout_account_id="").exists()


def connect_scopes(*, channel: AccountingChannel, base: list[str]) -> list[str]:
    """Return the scopes to ask for at connect: `base`, and the bank transactions scope once payouts are set up."""
    return [*base, BANK_SCOPE] if payouts_set_up(channel=channel) and BANK_SCOPE not in base else list(base)


def payout_setting_for(*, channel: AccountingChannel, method: str) -> ChannelPaymentAccount | None:
    """Return the method's own row (its clearing account and payout settings), else the default's."""
    chosen = {a.method: a for a in ChannelPaymentAccount.objects.filter(channel=channel)}
    return chosen.get(payment_method_key(method)) or chosen.get("")


def payout_unset_message(*, method: str, what: str) -> str:
    return f"No {what} is chosen for payouts of “{method}”: choose one under Payment accounts on the channel page."


@dataclass(frozen=True)
class PayoutAccounts:
    """What a payout of one method needs, each known to be chosen."""

    clearing_id: str
    clearing_code: str
    clearing_is_bank: bool
    clearing_tax_type: str
    payout_id: str
    fees_account: str
    fees_tax_type: str


def payout_accounts(*, channel: AccountingChannel, method: str, fees: bool) -> PayoutAccounts | str:
    """Return the accounts of a payout of `method`, or what is missing (a message naming the card)."""
    row = payout_setting_for(channel=channel, method=method)
    if row is None or not row.account_id:
        return payout_unset_message(method=method, what="account for its payments")
    if not row.payout_account_id:
        return payout_unset_message(method=method, what="payout bank account")
    if fees and not row.fees_account:
        return payout_unset_message(method=method, what="fees account")
    cached = {a["account_id"]: a for a in payment_accounts_cached(channel=channel) or []}
    clearing = cached.get(row.account_id)
    if clearing is None:
        return "The organisation's accounts have not been read from Xero yet: read them under Payment accounts."
    chart = {a.code: a for a in chart_accounts(line_accounts_of(channel=channel).chart)}
    clearing_is_bank = clearing["type"] == AccountType.BANK
    tax_type = chart[clearing["code"]].tax_type if clearing["code"] in chart else ""
    return PayoutAccounts(
        clearing_id=row.account_id, clearing_code=clearing["code"], clearing_is_bank=clearing_is_bank,
        clearing_tax_type="" if clearing_is_bank else tax_type, payout_id=row.payout_account_id,
        fees_account=row.fees_account, fees_tax_type=row.fees_tax_type,
    )  # fmt: skip


def payout_options(*, channel: AccountingChannel) -> dict[str, list[dict[str, str]]]:
    """Return the card's choices: BANK accounts (payout), expense accounts and tax types (fees)."""
    banks = [a for a in payment_accounts_cached(channel=channel) or [] if a["type"] == AccountType.BANK]
    chart = line_accounts_of(channel=channel).chart if channel.tenant_id else {}
    if chart.get("tenant_id") != channel.tenant_id:
        chart = {}
    expenses = [
        {"code": a.code, "label": a.label()}
        for a in chart_accounts(chart)
        if a.status == RecordStatus.ACTIVE and a.account_class == AccountClass.EXPENSE and not a.system_account
        and a.type != AccountType.BANK
    ]  # fmt: skip
    taxes = [{"tax_type": t["tax_type"], "label": f"{t['name']} ({t['tax_type']})"}
             for t in chart.get("expense_tax_types", [])]  # fmt: skip
    return {"banks": banks, "fees_accounts": expenses, "fees_tax_types": taxes}


def payout_choices_check(
    *, channel: AccountingChannel, choices: Mapping[str, Mapping[str, str]], clearing: Mapping[str, str]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Return the cleaned payout choices per method key and the errors (none: all may be saved).
    `clearing`: the method's clearing account being saved with them ("" : none)."""
    options = payout_options(channel=channel)
    banks = {a["account_id"]: a for a in options["banks"]}
    fees_accounts = {a["code"] for a in options["fees_accounts"]}
    taxes = {t["tax_type"] for t in options["fees_tax_types"]}
    cleaned: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for method, values in choices.items():
        label = f"“{method}”" if method else "the default"
        payout = (values.get("payout_account_id") or "").strip()
        fees_account = (values.get("fees_account") or "").strip()
        fees_tax = (values.get("fees_tax_type") or "").strip()
        if (payout or fees_account) and not clearing.get(method):
            errors.append(f"Choose the account payments by {label} go to before its payout accounts.")
        if payout and payout not in banks:
            errors.append(f"The payout account of {label} is not an active bank account of the organisation.")
        if payout and payout == clearing.get(method):
            errors.append(f"The payout account of {label} is its payments' account: choose the bank account the "
                          "gateway pays into.")  # fmt: skip
        if fees_account and fees_account not in fees_accounts:
            errors.append(f"The fees account of {label} is not an active expense account of the organisation.")
        if fees_account and taxes and fees_tax not in taxes:
            errors.append(f"Choose the tax type of the fees of {label} (one of the organisation's purchase tax types).")
        cleaned[method] = {
            "payout_account_id": payout, "payout_account_name": banks[payout]["name"][:150] if payout in banks else "",
            "fees_account": fees_account, "fees_tax_type": fees_tax if fees_account else "",
        }  # fmt: skip
    return cleaned, errors


@transaction.atomic
def channel_payouts_set(
    *, channel: AccountingChannel, payouts: Mapping[str, Mapping[str, str]], user: User | None = None
) -> int:
    """Save the payout bank account and the fees account and tax type of each method of `payouts`
    (its clearing account must be chosen, saved in the same transaction before); return how many
    records that waited for a choice on the card are queued again. Nothing is saved on refusal."""
    rows = {a.method: a.account_id for a in ChannelPaymentAccount.objects.select_for_update().filter(channel=channel)}
    cleaned, errors = payout_choices_check(
        channel=channel, choices={payment_method_key(m): v for m, v in payouts.items()}, clearing=rows
    )
    if errors:
        raise ValidationError(errors)
    for key, fields in cleaned.items():
        ChannelPaymentAccount.objects.filter(channel=channel, method=key).update(**fields, chosen_by=user)
    return sync_choice_made(channel_id=channel.pk, waiting_for=WaitingFor.PAYMENT_ACCOUNTS)

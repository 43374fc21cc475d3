"""Writes of a channel's tax mapping: store rate (and line kind) → the organisation's Xero tax type.

Nothing is guessed (DESIGN invariant 8), but what the merchant's Xero itself says is taken: an
unmapped rate is pre-filled with the default tax type of the Xero account its lines post to
(the sales account for products, the shipping account for shipping…) when that type has the
rate, since it is what Xero applies to a line that carries no TaxType; else with the
organisation's only active sales tax type at the rate. Where neither settles it (UK 0%:
zero-rated, exempt, EC goods…) the operator chooses on the channel page, and until then records
with that rate wait, saying where to choose; choosing queues them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from accounting.access.client import channel_xero_client
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.books.cache import sales_tax_rates, sales_tax_rates_cached, sales_tax_rates_keep
from accounting.books.line_accounts import account_tax_types
from accounting.models import AccountingChannel, ChannelTaxMapping, TaxMappingOrigin
from accounting.providers.xero import tax
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.errors import XeroError
from accounting.providers.xero.mapping import LineAccounts, percent_text, tax_unmapped_message
from accounting.providers.xero.tax import SalesTaxRate, sales_tax_types_at
from accounting.sync.ledger.actions import sync_choice_made
from accounting.sync.models import WaitingFor
from stores.models import InvoiceLine

TaxKey = tuple[Decimal, str]  # (store rate, line kind)


@dataclass
class TaxResolution:
    """The Xero tax type of each (rate, kind), or why there is none."""

    tax_types: dict[TaxKey, str] = field(default_factory=dict)
    problems: dict[TaxKey, str] = field(default_factory=dict)


def tax_missing_message(*, rate: Decimal) -> str:
    return (
        f"Xero has no active sales tax rate of {percent_text(rate)}%: add one in Xero, then choose it "
        "under Tax mapping on the channel page."
    )


def tax_stale_message(*, rate: Decimal, tax_type: str) -> str:
    return (
        f"The Xero tax type {tax_type} mapped for {percent_text(rate)}% on this channel is no longer an "
        f"active sales tax rate of {percent_text(rate)}% in Xero: choose another under Tax mapping on the "
        "channel page."
    )


@dataclass(frozen=True)
class Prefill:
    """A tax type the organisation's own books settle for one (rate, kind)."""

    tax_type: str
    origin: str  # TaxMappingOrigin
    account: str = ""  # the account whose default tax type it is


def tax_prefill(
    *, key: TaxKey, rates: list[SalesTaxRate], account_tax_types: Mapping[str, str], account: str
) -> Prefill | None:
    """Return the tax type Xero's own books give `key`, or None when the operator must choose.

    `account` is the code of the account the key's lines post to, `account_tax_types` the
    organisation's accounts' default tax types by code."""
    at_rate = {r.tax_type for r in sales_tax_types_at(rates, key[0])}
    default = account_tax_types.get(account, "") if account else ""
    if default and default in at_rate:
        return Prefill(tax_type=default, origin=TaxMappingOrigin.ACCOUNT_DEFAULT, account=account)
    if len(at_rate) == 1:
        return Prefill(tax_type=next(iter(at_rate)), origin=TaxMappingOrigin.PREFILLED)
    return None


def prefill_note(*, origin: str, account: str) -> str:
    """Return where a pre-filled choice came from, for the Tax mapping card and the pre-flight."""
    if origin == TaxMappingOrigin.ACCOUNT_DEFAULT:
        return f"from account {account}'s default tax type"
    if origin == TaxMappingOrigin.PREFILLED:
        return "the organisation's only sales tax type at this rate"
    return "chosen by the operator"


def channel_tax_types_resolve(
    *,
    channel: AccountingChannel,
    client: XeroClient,
    keys: Iterable[TaxKey],
    accounts: LineAccounts,
    rates: list[SalesTaxRate] | None = None,
) -> TaxResolution:
    """Return the Xero tax type of each (rate, kind) in `keys` for the channel's organisation.

    A mapped type is used while it is still an active sales tax type at that rate; an unmapped
    rate that the organisation's books settle (`tax_prefill`) is pre-filled and saved, so a
    change in Xero later does not change it silently (a pre-fill from an account's default is
    settled again when the lines post to another account since). The organisation's rates are read from the
    channel's cache, and looked up again once when a mapped type or a whole rate is missing from
    it (`rates`: just read from Xero by the caller); the accounts' default tax types are read (and
    kept) only when a key needs them.
    """
    keys = sorted(set(keys))
    rows = {(m.rate, m.line_kind): m for m in ChannelTaxMapping.objects.filter(channel=channel)}
    # A pre-fill from an account that is no longer the one the lines post to is settled afresh.
    outdated = [
        row.pk for key, row in rows.items()
        if row.origin == TaxMappingOrigin.ACCOUNT_DEFAULT and row.source_account != accounts.for_kind(key[1])
    ]  # fmt: skip
    if outdated:
        ChannelTaxMapping.objects.filter(pk__in=outdated, origin=TaxMappingOrigin.ACCOUNT_DEFAULT).delete()
    mapped = {key: row.tax_type for key, row in rows.items() if row.pk not in outdated}
    fresh = rates is not None
    rates = rates if rates is not None else sales_tax_rates_cached(channel=channel)
    read: list[Any] | None = None  # Xero's TaxRates, when read here (the chart may need them too)
    if rates is None or (
        not fresh and any(_changed_in_xero(key=k, mapped=mapped.get(k, ""), rates=rates) for k in keys)
    ):
        read = client.tax_rates()
        rates = tax.sales_tax_rates(read)
        sales_tax_rates_keep(channel=channel, tenant_id=client.tenant_id, rates=rates)
    open_keys = [k for k in keys if not mapped.get(k) and len(sales_tax_types_at(rates, k[0])) > 1]
    defaults = account_tax_types(channel=channel, client=client, tax_rates=read) if open_keys else {}
    resolution = TaxResolution()
    prefills = []
    for key in keys:
        if mapped.get(key):
            problem = _problem(key=key, mapped=mapped[key], rates=rates)
            if problem:
                resolution.problems[key] = problem
            else:
                resolution.tax_types[key] = mapped[key]
            continue
        found = tax_prefill(key=key, rates=rates, account_tax_types=defaults, account=accounts.for_kind(key[1]))
        if found is None:
            resolution.problems[key] = _problem(key=key, mapped="", rates=rates)
            continue
        resolution.tax_types[key] = found.tax_type
        prefills.append(
            ChannelTaxMapping(
                channel=channel, rate=key[0], line_kind=key[1], tax_type=found.tax_type, origin=found.origin,
                source_account=found.account,
            )
        )  # fmt: skip
    # A concurrent choice by the operator wins over a pre-fill.
    ChannelTaxMapping.objects.bulk_create(prefills, ignore_conflicts=True)
    return resolution


def _changed_in_xero(*, key: TaxKey, mapped: str, rates: list[SalesTaxRate]) -> bool:
    """Return whether the cache lacks what the key needs (the mapped type, or any type at its
    rate): Xero may have it since. Several types and no choice is the operator's to settle."""
    at_rate = sales_tax_types_at(rates, key[0])
    return mapped not in {r.tax_type for r in at_rate} if mapped else not at_rate


def _problem(*, key: TaxKey, mapped: str, rates: list[SalesTaxRate]) -> str:
    rate = key[0]
    at_rate = sales_tax_types_at(rates, rate)
    if mapped:
        return "" if mapped in {r.tax_type for r in at_rate} else tax_stale_message(rate=rate, tax_type=mapped)
    if not at_rate:
        return tax_missing_message(rate=rate)
    return tax_unmapped_message(rate=rate) if len(at_rate) > 1 else ""


def _row(
    *, channel: AccountingChannel, key: TaxKey, tax_type: str, origin: str, user: User | None = None
) -> ChannelTaxMapping:
    return ChannelTaxMapping(
        channel=channel, rate=key[0], line_kind=key[1], tax_type=tax_type, origin=origin, chosen_by=user
    )


TAX_RATES_NOT_READ = "The organisation's tax rates have not been read from Xero yet: read them first."


def tax_type_not_offered_message(*, tax_type: str, rate: Decimal) -> str:
    return f"“{tax_type}” is not one of the organisation's active sales tax types at {percent_text(rate)}%."


def channel_tax_mapping_check(*, channel: AccountingChannel, choices: Mapping[TaxKey, str]) -> None:
    """Raise ValidationError unless every choice is one of the organisation's active sales tax
    types at its rate, as last read from Xero's TaxRates."""
    rates = sales_tax_rates_cached(channel=channel)
    if rates is None:
        raise ValidationError(TAX_RATES_NOT_READ)
    errors = []
    for (rate, _kind), tax_type in sorted(choices.items()):
        if tax_type not in {r.tax_type for r in sales_tax_types_at(rates, rate)}:
            errors.append(tax_type_not_offered_message(tax_type=tax_type, rate=rate))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def channel_tax_mapping_set(
    *, channel: AccountingChannel, choices: Mapping[TaxKey, str], user: User | None = None
) -> int:
    """Map each (rate, kind) of `choices` to the chosen Xero tax type; return how many records
    that waited for a tax type are queued again.

    Every choice must be one of the organisation's active sales tax types at that rate (as last
    read from Xero's TaxRates); otherwise nothing changes and ValidationError says which.
    """
    channel_tax_mapping_check(channel=channel, choices=choices)
    changed = []
    for key, tax_type in choices.items():
        row, created = ChannelTaxMapping.objects.select_for_update().get_or_create(
            channel=channel, rate=key[0], line_kind=key[1],
            defaults={"tax_type": tax_type, "origin": TaxMappingOrigin.CHOSEN, "chosen_by": user},
        )  # fmt: skip
        if created or (row.tax_type, row.origin) != (tax_type, TaxMappingOrigin.CHOSEN):
            row.tax_type, row.origin, row.chosen_by = tax_type, TaxMappingOrigin.CHOSEN, user
            row.save()
            changed.append(key)
    return _waiting_release(channel=channel, rates=[rate for rate, _kind in changed]) if changed else 0


def _waiting_release(*, channel: AccountingChannel, rates: list[Decimal]) -> int:
    """Queue again the records that waited for a tax type and have a line at one of `rates`."""
    invoices = InvoiceLine.objects.filter(invoice__store_id=channel.store_id, tax_rate__in=rates).values("invoice_id")
    return sync_choice_made(channel_id=channel.pk, waiting_for=WaitingFor.TAX_MAPPING, invoice_ids=invoices)


def channel_tax_rates_refresh(*, channel: AccountingChannel) -> list[SalesTaxRate]:
    """Read the organisation's sales tax rates from Xero again and cache them; return them.

    Raise ValidationError with a message for the page when Xero cannot be asked.
    """
    try:
        client, _gate = channel_xero_client(channel=channel)
        return sales_tax_rates(channel=channel, client=client, refresh=True)
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        raise ValidationError(f"The tax rates could not be read from Xero: {exc}") from None
    except XeroError as exc:
        raise ValidationError(f"The tax rates could not be read from Xero: {exc.message}") from None

"""What the engine remembers about a channel's Xero organisation (its default sales account and
its sales tax rates)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from accounting.models import AccountingChannel
from accounting.providers.xero import mapping
from accounting.providers.xero.client import XeroClient

from .models import ChannelSyncSettings


def sales_account_code(*, channel: AccountingChannel, client: XeroClient) -> str:
    """Return the account code for sales lines: the channel's, else the organisation's default.

    The default is looked up once (Accounts of class REVENUE) and cached per channel and tenant.
    """
    if channel.account_nominal_code:
        return channel.account_nominal_code
    cached = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=client.tenant_id).first()
    if cached is not None and cached.default_sales_account:
        return cached.default_sales_account
    code = mapping.pick_sales_account(client.accounts_where(where='Class=="REVENUE"'))
    ChannelSyncSettings.objects.update_or_create(
        channel=channel, defaults={"tenant_id": client.tenant_id, "default_sales_account": code}
    )
    return code


def sales_tax_rates(
    *, channel: AccountingChannel, client: XeroClient, rates_needed: Iterable[Decimal] = ()
) -> dict[str, Decimal]:
    """Return the organisation's sales tax rates ({TaxType: EffectiveRate}).

    Looked up once (GET TaxRates) and cached per channel and tenant. The cache is looked up again
    (one call) when it lacks one of `rates_needed` or the channel's default tax type: a rate may
    have been added in Xero since, and only then does a line at that rate fail.
    """
    cached = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=client.tenant_id).first()
    if cached is not None and cached.sales_tax_rates:
        rates = _decimals(cached.sales_tax_rates)
        known = set(rates.values())
        default = channel.default_tax_type
        if rates and all(r in known for r in rates_needed) and (not default or default in rates):
            return rates
    rates = mapping.sales_tax_rates(client.tax_rates())
    stored = {tax_type: str(rate) for tax_type, rate in rates.items()}
    if cached is None:
        # A row of another tenant (the channel was reconnected elsewhere) forgets that tenant's account.
        ChannelSyncSettings.objects.update_or_create(
            channel=channel,
            defaults={"tenant_id": client.tenant_id, "default_sales_account": "", "sales_tax_rates": stored},
        )
    else:
        ChannelSyncSettings.objects.filter(pk=cached.pk).update(sales_tax_rates=stored)
    return rates


def sales_tax_rates_forget(*, channel: AccountingChannel) -> None:
    """Drop the cached tax rates (Xero refused one of them): the next turn looks them up again."""
    ChannelSyncSettings.objects.filter(channel=channel).update(sales_tax_rates={})


def sales_account_forget(*, channel: AccountingChannel) -> None:
    """Drop the cached default sales account (Xero refused it, e.g. archived since): the next
    turn looks it up again. The channel's own Account Nominal Code is the user's: kept."""
    ChannelSyncSettings.objects.filter(channel=channel).update(default_sales_account="")


def _decimals(stored: object) -> dict[str, Decimal]:
    if not isinstance(stored, dict):
        return {}
    rates: dict[str, Decimal] = {}
    for tax_type, rate in stored.items():
        try:
            rates[str(tax_type)] = Decimal(str(rate))
        except InvalidOperation:
            return {}
    return rates

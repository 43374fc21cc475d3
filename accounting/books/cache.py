"""What the engine remembers about a channel's Xero organisation (its default sales account and
its sales tax rates)."""

from __future__ import annotations

from accounting.models import AccountingChannel
from accounting.providers.xero import books, mapping, tax
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.tax import SalesTaxRate, sales_tax_rates_dump, sales_tax_rates_load
from accounting.sync.models import ChannelSyncSettings


def sales_account_code(*, channel: AccountingChannel, client: XeroClient) -> str:
    """Return the account code for sales lines: the channel's, else the organisation's default.

    The default is looked up once (Accounts of class REVENUE) and cached per channel and tenant.
    """
    if channel.account_nominal_code:
        return channel.account_nominal_code
    cached = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=client.tenant_id).first()
    if cached is not None and cached.default_sales_account:
        return cached.default_sales_account
    code = mapping.pick_sales_account(client.revenue_accounts())
    ChannelSyncSettings.objects.update_or_create(
        channel=channel, defaults={"tenant_id": client.tenant_id, "default_sales_account": code}
    )
    return code


def sales_tax_rates(*, channel: AccountingChannel, client: XeroClient, refresh: bool = False) -> list[SalesTaxRate]:
    """Return the organisation's sales tax rates (ACTIVE, can apply to revenue).

    Looked up once (GET TaxRates) and cached per channel and tenant; `refresh` looks them up
    again (a mapped tax type or a rate is missing: it may have changed in Xero since).
    """
    cached = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=client.tenant_id).first()
    if cached is not None and not refresh:
        rates = sales_tax_rates_load(cached.sales_tax_rates)
        if rates is not None:
            return rates
    rates = tax.sales_tax_rates(client.tax_rates())
    sales_tax_rates_keep(channel=channel, tenant_id=client.tenant_id, rates=rates)
    return rates


def sales_tax_rates_keep(*, channel: AccountingChannel, tenant_id: str, rates: list[SalesTaxRate]) -> None:
    """Keep the organisation's sales tax rates as just read from Xero for the channel."""
    stored = sales_tax_rates_dump(rates)
    updated = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=tenant_id).update(sales_tax_rates=stored)
    if not updated:
        # A row of another tenant (the channel was reconnected elsewhere) forgets that tenant's account.
        ChannelSyncSettings.objects.update_or_create(
            channel=channel, defaults={"tenant_id": tenant_id, "default_sales_account": "", "sales_tax_rates": stored}
        )


def sales_tax_rates_cached(*, channel: AccountingChannel) -> list[SalesTaxRate] | None:
    """Return the cached sales tax rates of the channel's current organisation, or None."""
    cached = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=channel.tenant_id).first()
    return None if cached is None else sales_tax_rates_load(cached.sales_tax_rates)


def sales_tax_rates_forget(*, channel: AccountingChannel) -> None:
    """Drop the cached tax rates (Xero refused one of them): the next turn looks them up again."""
    ChannelSyncSettings.objects.filter(channel=channel).update(sales_tax_rates={})


def sales_account_forget(*, channel: AccountingChannel) -> None:
    """Drop the cached default sales account (Xero refused it, e.g. archived since): the next
    turn looks it up again. The channel's own Account Nominal Code is the user's: kept."""
    ChannelSyncSettings.objects.filter(channel=channel).update(default_sales_account="")


def enabled_currencies(*, channel: AccountingChannel, client: XeroClient, refresh: bool = False) -> set[str]:
    """Return the currency codes enabled in the organisation (GET /Currencies), cached per channel
    and tenant; `refresh` reads them again (a currency may have been enabled in Xero since)."""
    cached = ChannelSyncSettings.objects.filter(channel=channel, tenant_id=client.tenant_id).first()
    if cached is not None and cached.currencies and not refresh:
        return set(cached.currencies)
    codes = sorted(books.currency_codes(client.currencies()))
    if cached is None:
        ChannelSyncSettings.objects.update_or_create(
            channel=channel, defaults={"tenant_id": client.tenant_id, "default_sales_account": "", "currencies": codes}
        )
    else:
        ChannelSyncSettings.objects.filter(pk=cached.pk).update(currencies=codes)
    return set(codes)


def currency_missing_message(*, code: str, organisation: str) -> str:
    """Return what to do when the organisation has not enabled `code` (Xero would refuse the invoice)."""
    where = f"the Xero organisation {organisation}" if organisation else "the Xero organisation"
    return f"{code} is not enabled in {where}. Enable {code} in Xero: Settings → Currencies → Add Currency, then retry."

"""What the engine remembers about a channel's Xero organisation (its default sales account)."""

from __future__ import annotations

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

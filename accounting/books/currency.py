"""The store's currency must be enabled in the Xero organisation before anything is sent.

Xero refuses an invoice in a currency the organisation has not added under Settings →
Currencies ("Organisation is not subscribed to currency EUR"); many organisations have only
their base currency. The channel says so when it is switched on or saved, and the sync engine
checks each invoice's currency again before sending (`accounting.sync.push.invoices`).
"""

from __future__ import annotations

from accounting.access.client import channel_xero_client
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.books.cache import currency_missing_message, enabled_currencies
from accounting.models import AccountingChannel, ConnectionState
from accounting.providers.xero.errors import XeroError


def channel_currency_problem(*, channel: AccountingChannel) -> str:
    """Return why the store's currency cannot go to the channel's organisation, or "".

    Asks Xero (GET /Currencies) through the limiter. When Xero cannot be asked now (not
    connected, unreachable, refused token) nothing is claimed: sending checks again.
    """
    if channel.connection_state != ConnectionState.CONNECTED or not channel.tenant_id:
        return ""
    try:
        # No forced refresh on a 401 here: a page's check must never be what breaks a connection.
        client, _gate = channel_xero_client(channel=channel, reauth=False)
        enabled = enabled_currencies(channel=channel, client=client, refresh=True)
    except (ChannelNotConnected, TokenRefreshFailed, XeroError):
        return ""
    code = channel.store.currency
    if code in enabled:
        return ""
    return currency_missing_message(code=code, organisation=channel.tenant_name)

"""What an invoice needs from the organisation's books before anything is sent for it: an enabled
currency, and a Xero tax type for every line's (rate, kind). Shared by invoices sent one by one
and invoices summarised per day."""

from __future__ import annotations

from decimal import Decimal

from accounting.books.cache import currency_missing_message, enabled_currencies
from accounting.books.tax_mapping import channel_tax_types_resolve
from accounting.models import AccountingChannel
from accounting.providers.xero import mapping
from accounting.providers.xero.client import XeroClient
from accounting.sync.models import AttemptOutcome, SyncRecord, WaitingFor
from accounting.sync.push.outcomes import Outcome, rejected, waiting
from stores.models import Invoice

Pair = tuple[SyncRecord, Invoice]


def with_enabled_currency(
    *, channel: AccountingChannel, client: XeroClient, pairs: list[Pair], outcomes: dict[int, Outcome]
) -> list[Pair]:
    """Return the pairs whose currency the organisation has enabled; the others fail now, with
    the fix named, before anything is sent for them (Xero would refuse the invoice). A currency
    missing from the cached list is asked again once, so a retry after enabling it goes out."""
    wanted = {invoice.currency for _r, invoice in pairs}
    enabled = enabled_currencies(channel=channel, client=client)
    if not wanted <= enabled:
        enabled = enabled_currencies(channel=channel, client=client, refresh=True)
    kept: list[Pair] = []
    for row, invoice in pairs:
        if invoice.currency in enabled:
            kept.append((row, invoice))
        else:
            message = currency_missing_message(code=invoice.currency, organisation=channel.tenant_name)
            outcomes[row.pk] = rejected(messages=[message], http_status=None, attempt=AttemptOutcome.LOCAL)
    return kept


def with_tax_types(
    *,
    channel: AccountingChannel,
    client: XeroClient,
    pairs: list[Pair],
    outcomes: dict[int, Outcome],
    accounts: mapping.LineAccounts,
) -> tuple[dict[tuple[Decimal, str], str], list[Pair]]:
    """Return the channel's Xero tax type of every line's (rate, kind), and the pairs whose every
    line has one; the others wait for the operator's choice, before anything (contact, item,
    invoice) is sent for them. Invoices without tax (NoTax) need none."""
    needs = {row.pk: sorted(mapping.invoice_tax_keys(invoice, accounts=accounts)) for row, invoice in pairs}
    # A line whose account is not chosen waits for that first: its tax type may follow from it.
    unset = {row.pk: mapping.unset_line_accounts(keys=needs[row.pk], accounts=accounts) for row, _i in pairs}
    for row, _invoice in pairs:
        if unset[row.pk]:
            message = mapping.line_accounts_unset_message(kinds=unset[row.pk])
            outcomes[row.pk] = waiting(on=WaitingFor.LINE_ACCOUNTS, messages=[message])
    pairs = [(row, invoice) for row, invoice in pairs if not unset[row.pk]]
    keys = {key for row, _invoice in pairs for key in needs[row.pk]}
    if not keys:
        return {}, pairs
    resolution = channel_tax_types_resolve(channel=channel, client=client, keys=keys, accounts=accounts)
    kept: list[Pair] = []
    for row, invoice in pairs:
        problems = [resolution.problems[k] for k in needs[row.pk] if k in resolution.problems]
        if problems:
            outcomes[row.pk] = waiting(on=WaitingFor.TAX_MAPPING, messages=problems)
        else:
            kept.append((row, invoice))
    return resolution.tax_types, kept

"""What the pre-flight's checks share: the channel and its Xero organisation's lists, each read once."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.db.models import Q

from accounting.books.cache import sales_tax_rates_keep
from accounting.books.line_accounts import channel_chart_keep, chart_dump
from accounting.books.payment_accounts import payment_accounts_keep
from accounting.checks.preflight.report import CheckResult
from accounting.models import STORE_LINE_KINDS, AccountingChannel
from accounting.models import LineKind as TaxLineKind
from accounting.providers.xero import books, tax
from accounting.providers.xero.client import XeroClient
from accounting.providers.xero.tax import SalesTaxRate
from accounting.sync.models import RecordKind, SyncRecord, SyncState
from stores.models import Invoice, InvoiceLine


class PreflightContext:
    """What the checks share: the channel and its Xero organisation's settings, each read once."""

    def __init__(self, *, channel: AccountingChannel, client: XeroClient):
        self.channel = channel
        self.client = client

    @cached_property
    def raw_tax_rates(self) -> list[Any]:
        return self.client.tax_rates()

    @cached_property
    def accounts(self) -> list[Any]:
        # Kept as the channel's chart too, so the Line accounts card offers today's accounts.
        accounts = self.client.accounts()
        chart = chart_dump(tenant_id=self.client.tenant_id, accounts=accounts, tax_rates=self.raw_tax_rates)
        channel_chart_keep(channel=self.channel, chart=chart)
        payment_accounts_keep(channel=self.channel, tenant_id=self.client.tenant_id, accounts=accounts)
        return accounts

    @cached_property
    def tax_rates(self) -> list[SalesTaxRate]:
        # Read fresh and kept for the channel, so the Tax mapping card offers today's types.
        rates = tax.sales_tax_rates(self.raw_tax_rates)
        sales_tax_rates_keep(channel=self.channel, tenant_id=self.client.tenant_id, rates=rates)
        return rates

    @cached_property
    def sales_account(self) -> str:
        """The account code of sales lines: the channel's, else the organisation's default."""
        default = books.default_sales_account(self.accounts)
        return self.channel.account_nominal_code or (str(default.code) if default is not None else "")

    def invoices_at_rate(self, rate: Any, kind: str) -> int:
        """How many of the invoices still to be sent have a line of `kind` (a tax LineKind) at
        `rate`: they wait for its tax type."""
        store_kinds = [store for store, tax_kind in STORE_LINE_KINDS.items() if tax_kind == kind]
        lines = InvoiceLine.objects.filter(tax_rate=rate, kind__in=store_kinds)
        if kind == TaxLineKind.DISCOUNT:  # discounts of goods lines sent as their own lines
            lines = InvoiceLine.objects.filter(Q(tax_rate=rate) & (Q(kind__in=store_kinds) | Q(discount_rate__gt=0)))
        return self.unsent_invoices.filter(pk__in=lines.values("invoice_id")).count()

    @cached_property
    def currencies(self) -> set[str]:
        return books.currency_codes(self.client.currencies())

    @cached_property
    def unsent_invoices(self) -> Any:
        """The store's invoices this channel has still to create in Xero (no Xero id yet)."""
        rows = SyncRecord.objects.filter(
            channel=self.channel, kind=RecordKind.INVOICE, xero_id="",
            state__in=[SyncState.PENDING, SyncState.FAILED, SyncState.WAITING],
        )  # fmt: skip
        return Invoice.objects.filter(store_id=self.channel.store_id, pk__in=rows.values("object_id"))


Check = Callable[[PreflightContext], list[CheckResult]]

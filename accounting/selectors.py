"""Tenant-scoped reads of accounting channels (the only way views reach them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounting.models import (
    STORE_LINE_KINDS,
    AccountingChannel,
    AuthorizationOutcome,
    ChannelAuthorization,
    ChannelEvent,
    ChannelLineAccounts,
    ChannelTaxMapping,
    ConnectionState,
    DiscountMode,
    LineKind,
    TaxMappingOrigin,
)
from accounting.providers.xero.mapping import percent_text
from accounting.providers.xero.tax import SalesTaxRate, sales_tax_types_at
from channels_portal.tenancy import get_in_organization
from organizations.models import Organization
from stores.models import InvoiceLine, Store


def channels_of_store(*, store: Store) -> QuerySet[AccountingChannel]:
    return AccountingChannel.objects.filter(store=store).select_related("store")


def channel_for_member(*, organization: Organization | None, channel_id: object) -> AccountingChannel:
    """Return the channel `channel_id` of one of `organization`'s stores; raise Http404 for any other."""
    return get_in_organization(
        AccountingChannel.objects.select_related("store"),
        organization=organization,
        path="store__organization",
        pk=channel_id,
    )


def authorization_for_member(
    *,
    organization: Organization | None,
    user: User,
    channel: AccountingChannel,
    authorization_id: object,
) -> ChannelAuthorization:
    """Return the user's own authorization of `channel` that is waiting for an organisation choice."""
    return get_in_organization(
        ChannelAuthorization.objects.filter(user=user, channel=channel, outcome=AuthorizationOutcome.CHOOSING),
        organization=organization,
        path="channel__store__organization",
        pk=authorization_id,
    )


def channel_events(*, channel: AccountingChannel, limit: int = 10) -> list[ChannelEvent]:
    return list(ChannelEvent.objects.filter(channel=channel).select_related("user")[:limit])


def active_channel_conflicts(*, channel: AccountingChannel) -> QuerySet[AccountingChannel]:
    """Return the other active channels that `channel` may not be active beside.

    A store has at most one active channel, and a Xero organisation receives from one active
    channel per invoice number prefix (so that two stores never post the same number).
    """
    rule = Q(store_id=channel.store_id)
    if channel.tenant_id:
        rule |= Q(tenant_id=channel.tenant_id, invoice_number_prefix=channel.invoice_number_prefix)
    return AccountingChannel.objects.filter(rule, is_active=True).exclude(pk=channel.pk).select_related("store")


def idle_channel_ids(
    *, idle_for: dt.timedelta, spread: dt.timedelta = dt.timedelta(0), limit: int | None = None
) -> list[int]:
    """Return the connected channels whose token set has not been refreshed for `idle_for`.

    With `spread`, each channel waits a share of it more, set by its id (one of 24 steps), so that
    channels connected together (an onboarding day, a migration) come due over `spread` instead
    of in one run; `limit` caps one run, the longest idle first.
    """
    now = timezone.now()
    before = now - idle_for
    rows = (
        AccountingChannel.objects.filter(connection_state=ConnectionState.CONNECTED)
        .filter(Q(last_token_refresh_at__lte=before) | Q(last_token_refresh_at__isnull=True, connected_at__lte=before))
        .values_list("pk", "last_token_refresh_at", "connected_at")
    )
    due = sorted(
        (last, pk)
        for pk, refreshed, connected in rows
        if (last := refreshed or connected) is not None and last <= before - spread * ((pk % 24) / 24)
    )
    return sorted(pk for _last, pk in due[:limit])


# Tax mapping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxMappingRow:
    """One (rate, line kind) of the channel's tax mapping as the channel page shows it."""

    rate: Decimal
    line_kind: str
    options: list[SalesTaxRate]  # the organisation's sales tax types at this rate
    selected: str  # the mapped type, else the only option, else ""
    origin: str  # TaxMappingOrigin value, "" when not mapped
    status: str  # what the operator needs to know about this row

    @property
    def field_name(self) -> str:
        return tax_mapping_field_name(rate=self.rate, line_kind=self.line_kind)

    @property
    def rate_text(self) -> str:
        return percent_text(self.rate)

    @property
    def kind_label(self) -> str:
        return LineKind(self.line_kind).label


def tax_mapping_field_name(*, rate: Decimal, line_kind: str) -> str:
    return f"tax-{line_kind}-{Decimal(rate).quantize(Decimal('0.01'))}"


def store_tax_keys(*, store_id: int, discount_mode: str = DiscountMode.LINE) -> list[tuple[Decimal, str]]:
    """Return the (rate, line kind) of every rate the store's invoice lines use, by kind (one
    query). With discounts as their own lines, a discounted goods line needs its rate as a
    discount too."""
    used = InvoiceLine.objects.filter(invoice__store_id=store_id).values_list("tax_rate", "kind", "discount_rate")
    keys = set()
    for rate, kind, discount in used.order_by().distinct():
        line_kind = STORE_LINE_KINDS.get(kind, LineKind.GOODS)
        keys.add((rate, line_kind))
        if discount and line_kind == LineKind.GOODS and discount_mode == DiscountMode.SEPARATE:
            keys.add((rate, LineKind.DISCOUNT))
    return sorted(keys)


def channel_tax_mapping_rows(*, channel: AccountingChannel, rates: list[SalesTaxRate] | None) -> list[TaxMappingRow]:
    """Return a row for every rate the store uses or the channel maps, by kind and rate.

    `rates` are the organisation's sales tax rates as cached (None: not read from Xero yet).
    """
    mapped = {(m.rate, m.line_kind): m for m in ChannelTaxMapping.objects.filter(channel=channel)}
    lines = ChannelLineAccounts.objects.filter(channel=channel).values_list("discount_mode", flat=True).first()
    used = store_tax_keys(store_id=channel.store_id, discount_mode=lines or DiscountMode.LINE)
    keys = sorted({*used, *mapped}, key=lambda k: (k[1], k[0]))
    return [_tax_mapping_row(key=key, mapping=mapped.get(key), rates=rates) for key in keys]


def _tax_mapping_row(
    *, key: tuple[Decimal, str], mapping: ChannelTaxMapping | None, rates: list[SalesTaxRate] | None
) -> TaxMappingRow:
    options = sales_tax_types_at(rates or [], key[0])
    offered = {o.tax_type for o in options}
    if mapping is not None:
        selected, origin = mapping.tax_type, mapping.origin
        if rates is not None and selected not in offered:
            status = f"{selected} is no longer an active sales tax type at this rate in Xero: choose another."
        elif origin == TaxMappingOrigin.ACCOUNT_DEFAULT:
            status = f"Pre-filled from account {mapping.source_account}'s default tax type: change it if need be."
        else:
            status = TaxMappingOrigin(origin).label
    elif rates is None:
        selected, origin, status = "", "", "Not mapped yet."
    elif len(options) == 1:
        selected, origin, status = options[0].tax_type, "", "The organisation's only sales tax type at this rate."
    elif options:
        selected, origin, status = "", "", "Choose one: invoices with lines at this rate wait for it."
    else:
        selected, origin, status = "", "", "Xero has no active sales tax rate of this rate: add one in Xero."
    return TaxMappingRow(
        rate=key[0], line_kind=key[1], options=options, selected=selected, origin=origin, status=status
    )

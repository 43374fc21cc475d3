"""Writes of a channel's tax mapping: store rate (and line kind) → the organisation's Xero tax type.

Nothing is guessed (DESIGN invariant 8). A rate is pre-filled only when exactly one of the
organisation's active sales tax types has it; where several do (UK 0%: zero-rated, exempt, EC
goods…) the operator chooses on the channel page, and until then invoices with that rate fail
with a message that says where to choose. Choosing retries the invoices that failed for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery

from stores.models import InvoiceLine

from ..models import AccountingChannel, ChannelTaxMapping, TaxMappingOrigin
from ..providers.xero.client import XeroClient
from ..providers.xero.errors import XeroError
from ..providers.xero.mapping import percent_text, tax_unmapped_message
from ..providers.xero.tax import SalesTaxRate, sales_tax_types_at
from ..sync.models import AttemptOutcome, RecordKind, SyncAttempt, SyncRecord, SyncState
from ..sync.settings_cache import sales_tax_rates, sales_tax_rates_cached
from ..tokens import ChannelNotConnected, TokenRefreshFailed
from .xero_access import channel_xero_client

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


def channel_tax_types_resolve(
    *, channel: AccountingChannel, client: XeroClient, keys: Iterable[TaxKey]
) -> TaxResolution:
    """Return the Xero tax type of each (rate, kind) in `keys` for the channel's organisation.

    A mapped type is used while it is still an active sales tax type at that rate; an unmapped
    rate with exactly one sales tax type is pre-filled (saved, so a type added in Xero later
    does not change it silently). The organisation's rates are read from the channel's cache,
    and looked up again once when a mapped type or a whole rate is missing from it.
    """
    keys = sorted(set(keys))
    mapped = {(m.rate, m.line_kind): m.tax_type for m in ChannelTaxMapping.objects.filter(channel=channel)}
    rates = sales_tax_rates_cached(channel=channel)
    if rates is None or any(_changed_in_xero(key=k, mapped=mapped.get(k, ""), rates=rates) for k in keys):
        rates = sales_tax_rates(channel=channel, client=client, refresh=True)
    resolution = TaxResolution()
    prefills = []
    for key in keys:
        problem = _problem(key=key, mapped=mapped.get(key, ""), rates=rates)
        if problem:
            resolution.problems[key] = problem
        elif mapped.get(key):
            resolution.tax_types[key] = mapped[key]
        else:
            [only] = sales_tax_types_at(rates, key[0])
            resolution.tax_types[key] = only.tax_type
            prefills.append(_row(channel=channel, key=key, tax_type=only.tax_type, origin=TaxMappingOrigin.PREFILLED))
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


def channel_tax_mapping_check(*, channel: AccountingChannel, choices: Mapping[TaxKey, str]) -> None:
    """Raise ValidationError unless every choice is one of the organisation's active sales tax
    types at its rate, as last read from Xero's TaxRates."""
    rates = sales_tax_rates_cached(channel=channel)
    if rates is None:
        raise ValidationError("The organisation's tax rates have not been read from Xero yet: read them first.")
    errors = []
    for (rate, _kind), tax_type in sorted(choices.items()):
        if tax_type not in {r.tax_type for r in sales_tax_types_at(rates, rate)}:
            errors.append(
                f"“{tax_type}” is not one of the organisation's active sales tax types at {percent_text(rate)}%."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def channel_tax_mapping_set(
    *, channel: AccountingChannel, choices: Mapping[TaxKey, str], user: User | None = None
) -> int:
    """Map each (rate, kind) of `choices` to the chosen Xero tax type; return how many invoices
    that had failed for want of a tax type at those rates are queued again.

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
    return _tax_failures_retry(channel=channel, rates=[rate for rate, _kind in changed])


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


def _tax_failures_retry(*, channel: AccountingChannel, rates: list[Decimal]) -> int:
    """Queue again the failed invoice rows of the channel that never left for Xero (their latest
    attempt is local) and have a line at one of `rates`."""
    from ..sync.services import sync_retry  # the sync engine imports this module

    if not rates:
        return 0
    latest = SyncAttempt.objects.filter(record=OuterRef("pk")).order_by("-pk").values("outcome")[:1]
    invoices = InvoiceLine.objects.filter(invoice__store_id=channel.store_id, tax_rate__in=rates).values("invoice_id")
    rows = (
        SyncRecord.objects.filter(
            channel=channel, kind=RecordKind.INVOICE, state=SyncState.FAILED, object_id__in=invoices
        )
        .annotate(latest_outcome=Subquery(latest))
        .filter(latest_outcome=AttemptOutcome.LOCAL)
    )
    return sync_retry(records=rows)

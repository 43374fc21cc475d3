"""Tracking categories: the organisation's categories and options as last read from Xero, and the
option the operator chose for the store (and per country of the invoice's customer).

Never guessed: lines carry an option only when the operator chose one from what Xero listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from accounting.access.client import channel_xero_client
from accounting.access.tokens import ChannelNotConnected, TokenRefreshFailed
from accounting.models import AccountingChannel, ChannelTracking
from accounting.providers.xero.errors import XeroError
from accounting.providers.xero.mapping import TrackingChoice, tracking_categories_dump

COUNTRY_LINE = re.compile(r"^\s*([^=]+?)\s*=\s*(.+?)\s*$")


def tracking_of(*, channel: AccountingChannel) -> ChannelTracking:
    """Return the channel's tracking settings (unsaved and empty when never set)."""
    row = ChannelTracking.objects.filter(channel=channel).first()
    return row if row is not None else ChannelTracking(channel=channel)


def categories_of(row: ChannelTracking, *, tenant_id: str) -> list[dict[str, Any]] | None:
    """Return the categories as last read for the organisation `tenant_id`, None if never read."""
    if not tenant_id or row.categories.get("tenant_id") != tenant_id:
        return None
    return list(row.categories.get("categories", []))


def channel_tracking_read(*, channel: AccountingChannel) -> int:
    """Read the organisation's tracking categories from Xero and keep them; return how many there
    are. The call is made with no transaction open. Raise ValidationError for the page."""
    try:
        client, _gate = channel_xero_client(channel=channel)
        categories = tracking_categories_dump(client.tracking_categories())
    except (ChannelNotConnected, TokenRefreshFailed) as exc:
        raise ValidationError(f"The tracking categories could not be read from Xero: {exc}") from None
    except XeroError as exc:
        raise ValidationError(f"The tracking categories could not be read from Xero: {exc.message}") from None
    with transaction.atomic():
        row, _created = ChannelTracking.objects.select_for_update().get_or_create(channel=channel)
        row.categories = {"tenant_id": client.tenant_id, "categories": categories}
        row.save(update_fields=["categories", "updated_at"])
    return len(categories)


def by_country_text(row: ChannelTracking) -> str:
    """Return the per-country options as the card's text: one "<country> = <option>" a line."""
    return "\n".join(f"{country} = {choice['option_name']}" for country, choice in sorted(row.by_country.items()))


def country_key(country: str) -> str:
    return " ".join(country.split()).casefold()


def tracking_check(*, row: ChannelTracking, tenant_id: str, values: Mapping[str, str]) -> dict[str, Any]:
    """Return the cleaned choice of `values` ("option": "<category id>:<option id>" or "", and
    "by_country": lines "<country> = <option name>"), or raise ValidationError with field errors.
    Every option must be an ACTIVE one of the categories as last read from Xero."""
    categories = categories_of(row, tenant_id=tenant_id)
    if categories is None:
        raise ValidationError(
            "The organisation's tracking categories have not been read from Xero yet: read them first."
        )
    chosen = (values.get("option") or "").strip()
    by_country_lines = [line for line in (values.get("by_country") or "").splitlines() if line.strip()]
    if not chosen:
        if by_country_lines:
            raise ValidationError({"option": "Choose the store's tracking option before options per country."})
        return {"category_id": "", "category_name": "", "option_id": "", "option_name": "", "by_country": {}}
    category_id, _sep, option_id = chosen.partition(":")
    category = next((c for c in categories if c["id"] == category_id), None)
    option = next((o for o in (category or {}).get("options", []) if o["id"] == option_id), None)
    if category is None or option is None:
        raise ValidationError({"option": "That tracking option is not among the active ones last read from Xero."})
    by_name = {o["name"].casefold(): o for o in category["options"]}
    by_country: dict[str, dict[str, str]] = {}
    problems = []
    for line in by_country_lines:
        match = COUNTRY_LINE.match(line)
        found = by_name.get(match.group(2).casefold()) if match else None
        if match is None:
            problems.append(f"“{line.strip()}” is not “<country> = <option>”.")
        elif found is None:
            problems.append(f"{category['name']} has no active option “{match.group(2)}”.")
        else:
            by_country[country_key(match.group(1))] = {"option_id": found["id"], "option_name": found["name"]}
    if problems:
        raise ValidationError({"by_country": " ".join(problems)})
    return {
        "category_id": category["id"], "category_name": category["name"], "option_id": option["id"],
        "option_name": option["name"], "by_country": by_country,
    }  # fmt: skip


@transaction.atomic
def channel_tracking_set(*, channel: AccountingChannel, values: Mapping[str, str], user: User | None = None) -> None:
    """Save the store's tracking option (and the options per country); nothing is saved on refusal."""
    row, _created = ChannelTracking.objects.select_for_update().get_or_create(channel=channel)
    cleaned = tracking_check(row=row, tenant_id=channel.tenant_id, values=values)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_by = user
    row.save()


def invoice_tracking(row: ChannelTracking | None, *, country: str = "") -> TrackingChoice | None:
    """Return the option the lines of an invoice to a customer in `country` carry (None: untracked)."""
    if row is None or not row.option_id:
        return None
    option = row.by_country.get(country_key(country)) if country else None
    if option is not None:
        return TrackingChoice(row.category_id, row.category_name, option["option_id"], option["option_name"])
    return TrackingChoice(row.category_id, row.category_name, row.option_id, row.option_name)


def channel_tracking_row(*, channel: AccountingChannel) -> ChannelTracking | None:
    """Return the channel's saved tracking settings when an option is chosen (the engine's read)."""
    return ChannelTracking.objects.filter(channel=channel).exclude(option_id="").first()

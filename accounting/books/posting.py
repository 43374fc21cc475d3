"""How a channel posts each store day: one Xero invoice per store invoice, or one summary invoice
per day (`ChannelPostingPeriod`: the mode of a day is the latest period starting on or before it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from accounting.models import AccountingChannel, ChannelPostingPeriod, PostingMode


def posting_periods(*, channel: AccountingChannel) -> list[ChannelPostingPeriod]:
    """Return the channel's posting periods, oldest first (read once per loaded channel)."""
    periods = getattr(channel, "_posting_periods", None)
    if periods is None:
        periods = list(ChannelPostingPeriod.objects.filter(channel=channel).order_by("starts_on"))
        channel._posting_periods = periods  # type: ignore[attr-defined]
    return periods


def mode_on(periods: Sequence[ChannelPostingPeriod], day: dt.date) -> str:
    """Return the posting mode of the store day `day`."""
    mode = PostingMode.PER_INVOICE
    for period in periods:
        if period.starts_on > day:
            break
        mode = PostingMode(period.mode)
    return mode


def channel_summarises(*, channel: AccountingChannel) -> bool:
    """Return whether any day of the channel is posted as a daily summary."""
    return any(period.mode == PostingMode.DAILY_SUMMARY for period in posting_periods(channel=channel))


def posting_now(*, channel: AccountingChannel) -> tuple[str, dt.date | None]:
    """Return the mode of the store's today and, if a change is planned, the day it starts."""
    periods = posting_periods(channel=channel)
    today = channel.store.today()
    later = [p for p in periods if p.starts_on > today]
    return mode_on(periods, today), (later[0].starts_on if later else None)


def summary_contact_name(*, channel: AccountingChannel) -> str:
    """Return the Xero contact daily summaries are made out to."""
    return channel.summary_contact_name or f"{channel.store.name} sales"

"""The channel's Posting setting: one Xero invoice per store invoice, or one summary invoice per
day, from a store day the operator sees. A switch never posts a record twice: it is refused where
a day on or after it was already sent the other way, with the first day it could start instead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q

from accounting.books.posting import mode_on
from accounting.models import AccountingChannel, ChannelPostingPeriod, PostingMode
from accounting.sync.models import SUMMARISED, DailySummary, RecordKind, SyncRecord, SyncState
from stores.models import Invoice

GRACE_MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class PostingChoice:
    mode: str
    starts_on: dt.date
    contact_name: str = ""
    grace_minutes: int = 30


def posting_sent_per_invoice_after(*, channel: AccountingChannel, day: dt.date) -> Invoice | None:
    """Return the latest-dated store invoice on or after `day` already sent as its own Xero invoice."""
    sent = (
        SyncRecord.objects.filter(channel=channel, kind=RecordKind.INVOICE)
        .exclude(xero_status=SUMMARISED)
        .filter(~Q(xero_id="") | Q(state=SyncState.IN_FLIGHT))
    )
    return (
        Invoice.objects.filter(store_id=channel.store_id, issue_date__gte=day, pk__in=sent.values("object_id"))
        .order_by("-issue_date", "-pk")
        .first()
    )


def posting_summarised_after(*, channel: AccountingChannel, day: dt.date) -> dt.date | None:
    """Return the last day on or after `day` that has a daily summary (sent or collecting)."""
    found = DailySummary.objects.filter(channel=channel, day__gte=day, entries__isnull=False).aggregate(last=Max("day"))
    return found["last"]


def posting_check(*, channel: AccountingChannel, choice: PostingChoice) -> None:
    """Raise ValidationError (by field) when the choice would post a record twice or is unclear."""
    errors: dict[str, str] = {}
    if choice.mode not in PostingMode.values:
        errors["posting"] = "Choose how invoices are posted to Xero."
    if not 0 <= choice.grace_minutes <= GRACE_MAX_MINUTES:
        errors["summary_grace_minutes"] = f"Use 0 to {GRACE_MAX_MINUTES} minutes."
    if len(choice.contact_name) > 255:
        errors["summary_contact_name"] = "Use at most 255 characters."
    if errors:
        raise ValidationError(errors)
    periods = list(ChannelPostingPeriod.objects.filter(channel=channel).order_by("starts_on"))
    if mode_on(periods, choice.starts_on) == choice.mode and not [p for p in periods if p.starts_on > choice.starts_on]:
        return  # already so from that day on
    if choice.mode == PostingMode.DAILY_SUMMARY:
        sent = posting_sent_per_invoice_after(channel=channel, day=choice.starts_on)
        if sent is not None:
            first = sent.issue_date + dt.timedelta(days=1)
            raise ValidationError(
                {"posting_from": f"Invoice {sent.number} of {sent.issue_date:%d %b %Y} was already sent to Xero as "
                 f"its own invoice: summaries can start on {first:%d %b %Y} at the earliest."}
            )  # fmt: skip
    else:
        last = posting_summarised_after(channel=channel, day=choice.starts_on)
        if last is not None:
            first = last + dt.timedelta(days=1)
            raise ValidationError(
                {"posting_from": f"{last:%d %b %Y} already has a daily summary: invoices can go one by one from "
                 f"{first:%d %b %Y} at the earliest."}
            )  # fmt: skip


@transaction.atomic
def channel_posting_set(*, channel: AccountingChannel, choice: PostingChoice, user: User | None = None) -> bool:
    """Save the Posting setting; return whether the mode changed from `starts_on` on. Nothing is
    saved on refusal. Rows of days now summarised go into their summaries on their next turn."""
    AccountingChannel.objects.select_for_update().filter(pk=channel.pk).first()
    posting_check(channel=channel, choice=choice)
    channel.summary_contact_name = choice.contact_name.strip()
    channel.summary_grace_minutes = choice.grace_minutes
    channel.save(update_fields=["summary_contact_name", "summary_grace_minutes", "updated_at"])
    periods = list(ChannelPostingPeriod.objects.filter(channel=channel).order_by("starts_on"))
    later = [p for p in periods if p.starts_on >= choice.starts_on]
    if mode_on(periods, choice.starts_on) == choice.mode and not [p for p in later if p.starts_on > choice.starts_on]:
        return False
    ChannelPostingPeriod.objects.filter(pk__in=[p.pk for p in later]).delete()
    ChannelPostingPeriod.objects.create(channel=channel, mode=choice.mode, starts_on=choice.starts_on, chosen_by=user)
    channel.__dict__.pop("_posting_periods", None)
    return True

"""The channel page's "Posting" and "Tracking" cards, and a daily summary's own page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounting.books.posting import posting_now
from accounting.books.tracking import (
    by_country_text,
    categories_of,
    channel_tracking_read,
    channel_tracking_set,
    tracking_of,
)
from accounting.models import AccountingChannel, PostingMode
from accounting.selectors import channel_for_member
from accounting.services.posting import PostingChoice, channel_posting_set
from accounting.sync.ledger.daily import channel_summaries, summary_for_member, summary_page
from accounting.views.common import current_organization, current_user

POSTING_FIELDS = ("posting", "posting_from", "summary_contact_name", "summary_grace_minutes")


def posting_context(
    *, channel: AccountingChannel, submitted: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """Return the Posting card's context (`submitted` values win, so nothing typed is lost)."""
    mode, change_on = posting_now(channel=channel)
    values = {
        "posting": mode,
        "posting_from": channel.store.today().isoformat(),
        "summary_contact_name": channel.summary_contact_name,
        "summary_grace_minutes": str(channel.summary_grace_minutes),
    }
    values.update(submitted or {})
    periods = list(channel.posting_periods.order_by("starts_on"))
    return {
        "modes": PostingMode.choices,
        "mode_label": PostingMode(mode).label,
        "change_on": change_on,
        "change_label": PostingMode(periods[-1].mode).label if change_on and periods else "",
        "periods": periods,
        "values": values,
        "contact_default": f"{channel.store.name} sales",
        "time_zone": channel.store.time_zone,
        "summaries": channel_summaries(channel=channel),
        "errors": errors or {},
    }


def tracking_context(
    *, channel: AccountingChannel, submitted: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    row = tracking_of(channel=channel)
    chosen = f"{row.category_id}:{row.option_id}" if row.option_id else ""
    values = {"option": chosen, "by_country": by_country_text(row)}
    values.update(submitted or {})
    categories = categories_of(row, tenant_id=channel.tenant_id)
    for category in categories or []:
        for option in category["options"]:
            option["value"] = f"{category['id']}:{option['id']}"
    return {
        "categories": categories,
        "row": row,
        "values": values,
        "errors": errors or {},
    }


def _errors(exc: ValidationError) -> dict[str, str]:
    found = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    return {name: " ".join(texts) for name, texts in found.items()}


@login_required
@require_POST
def channel_posting(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Save the Posting setting; refused, the page shows why and keeps what was typed."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    submitted = {name: request.POST.get(name, "").strip() for name in POSTING_FIELDS}
    try:
        choice = _posting_choice(submitted)
        changed = channel_posting_set(channel=channel, choice=choice, user=current_user(request))
    except ValidationError as exc:
        return render(
            request,
            "accounting/posting_page.html",
            {"store": channel.store, "channel": channel, "active_tab": "channels",
             "posting": posting_context(channel=channel, submitted=submitted, errors=_errors(exc))},
            status=400,
        )  # fmt: skip
    label = PostingMode(choice.mode).label
    text = f"Posting saved: {label} from {choice.starts_on:%d %b %Y}." if changed else "Posting saved."
    messages.success(request, text)
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#posting")


def _posting_choice(submitted: dict[str, str]) -> PostingChoice:
    errors = {}
    try:
        starts_on = dt.date.fromisoformat(submitted["posting_from"])
    except ValueError:
        errors["posting_from"] = "Enter the first day as YYYY-MM-DD."
    try:
        grace = int(submitted["summary_grace_minutes"] or "30")
    except ValueError:
        errors["summary_grace_minutes"] = "Enter a whole number of minutes."
    if errors:
        raise ValidationError(errors)
    return PostingChoice(
        mode=submitted["posting"], starts_on=starts_on, contact_name=submitted["summary_contact_name"],
        grace_minutes=grace,
    )  # fmt: skip


@login_required
@require_POST
def channel_tracking(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Read the organisation's tracking categories ("refresh"), or save the store's option ("save")."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    submitted = {name: request.POST.get(name, "") for name in ("option", "by_country")}
    try:
        if "refresh" in request.POST:
            count = channel_tracking_read(channel=channel)
            messages.success(
                request, f"{count} tracking categor{'y was' if count == 1 else 'ies were'} read from Xero."
            )
        else:
            channel_tracking_set(channel=channel, values=submitted, user=current_user(request))
            messages.success(request, "Tracking saved: the lines sent from now on carry it.")
    except ValidationError as exc:
        return render(
            request,
            "accounting/tracking_page.html",
            {"store": channel.store, "channel": channel, "active_tab": "channels",
             "tracking": tracking_context(channel=channel, submitted=submitted, errors=_errors(exc))},
            status=400,
        )  # fmt: skip
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#tracking")


@login_required
def channel_summary(request: HttpRequest, channel_id: int, summary_id: int) -> HttpResponse:
    """Show a daily summary: its state in Xero, the store invoices it covers, its payments."""
    organization = current_organization(request)
    view = summary_page(summary=summary_for_member(organization=organization, channel_id=channel_id, pk=summary_id))
    channel = view.summary.channel
    return render(
        request,
        "accounting/summary_detail.html",
        {"store": channel.store, "channel": channel, "view": view, "active_tab": "channels"},
    )

"""The channel page's "Line accounts" card: where shipping, discount, gift-card and rounding lines go."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounting.books.line_accounts import (
    RULES,
    account_options,
    channel_chart_refresh,
    channel_line_accounts_set,
    line_accounts_of,
)
from accounting.models import AccountingChannel, DiscountMode
from accounting.selectors import channel_for_member
from accounting.views.common import current_organization, current_user

FIELDS = ("discount_mode", *(rule.field for rule in RULES))


def line_accounts_saved_message(*, retried: int) -> str:
    text = "The line accounts were saved."
    if retried:
        waited = "1 invoice that waited was" if retried == 1 else f"{retried} invoices that waited were"
        text += f" {waited} queued again."
    return text


def line_accounts_context(*, channel: AccountingChannel, submitted: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the card's context: per setting its options from the chart and the chosen code
    (`submitted` values win, so nothing typed is lost when a save is refused)."""
    row = line_accounts_of(channel=channel)
    chart = row.chart if channel.tenant_id and row.chart.get("tenant_id") == channel.tenant_id else {}
    chosen = {name: str(getattr(row, name)) for name in FIELDS}
    chosen.update(submitted or {})
    settings = [
        {
            "field": rule.field,
            "label": rule.label,
            "options": account_options(chart=chart, field=rule.field),
            "selected": chosen[rule.field],
        }
        for rule in RULES
    ]
    return {
        "chart_loaded": bool(chart),
        "settings": settings,
        "discount_modes": DiscountMode.choices,
        "discount_mode": chosen["discount_mode"],
        "rounding_tax_type": row.rounding_tax_type,
    }


@login_required
@require_POST
def channel_line_accounts(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Save the line accounts ("save"), or read the organisation's accounts again ("refresh")."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    submitted = {name: request.POST.get(name, "").strip() for name in FIELDS}
    try:
        if "refresh" in request.POST:
            count = channel_chart_refresh(channel=channel)
            messages.success(request, f"{count} accounts were read from Xero.")
        else:
            retried = channel_line_accounts_set(channel=channel, values=submitted, user=current_user(request))
            messages.success(request, line_accounts_saved_message(retried=retried))
    except ValidationError as exc:
        # Show the page again with what was chosen and each field's error; nothing was saved.
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        context = line_accounts_context(channel=channel, submitted=submitted)
        context["errors"] = {name: " ".join(texts) for name, texts in errors.items()}
        return render(
            request,
            "accounting/line_accounts_page.html",
            {"store": channel.store, "channel": channel, "lines": context, "active_tab": "channels"},
            status=400,
        )
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#line-accounts")

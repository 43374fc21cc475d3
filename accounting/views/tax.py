"""The channel page's "Tax mapping" card: which Xero tax type each store rate goes out as."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounting.books.cache import sales_tax_rates_cached
from accounting.books.tax_mapping import channel_tax_mapping_set, channel_tax_rates_refresh
from accounting.models import AccountingChannel
from accounting.selectors import channel_for_member, channel_tax_mapping_rows
from accounting.views.common import current_organization, current_user


def tax_mapping_context(*, channel: AccountingChannel) -> dict[str, Any]:
    """Return the card's context: its rows, and whether the organisation's rates were read."""
    rates = sales_tax_rates_cached(channel=channel) if channel.tenant_id else None
    return {"rows": channel_tax_mapping_rows(channel=channel, rates=rates), "rates_loaded": rates is not None}


@login_required
@require_POST
def channel_tax_mapping(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Save the chosen tax types ("save"), or read the organisation's tax rates again ("refresh")."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    try:
        if "refresh" in request.POST:
            rates = channel_tax_rates_refresh(channel=channel)
            messages.success(request, f"{len(rates)} sales tax rates were read from Xero.")
        else:
            _save(request, channel=channel)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#tax-mapping")


def _save(request: HttpRequest, *, channel: AccountingChannel) -> None:
    rates = sales_tax_rates_cached(channel=channel)
    choices = {}
    for row in channel_tax_mapping_rows(channel=channel, rates=rates):
        value = request.POST.get(row.field_name, "").strip()
        if value:
            choices[(row.rate, row.line_kind)] = value
    if not choices:
        raise ValidationError("Choose a Xero tax type for at least one rate.")
    retried = channel_tax_mapping_set(channel=channel, choices=choices, user=current_user(request))
    text = "The tax mapping was saved."
    if retried:
        waited = "1 invoice that waited for it was" if retried == 1 else f"{retried} invoices that waited for it were"
        text += f" {waited} queued again."
    messages.success(request, text)

"""The channel page's pre-flight card (run it without switching on) and the backfill page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounting.access.limits import LIMITS
from accounting.checks.backfill import backfill_preview, backfill_queue
from accounting.checks.preflight import channel_preflight
from accounting.selectors import channel_for_member
from accounting.views.common import current_organization, current_user


@login_required
@require_POST
def channel_preflight_run(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Run the pre-flight without switching the channel on; the card shows the results."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    if not channel.is_connected:
        messages.error(request, f"Connect “{channel.name}” to Xero before its pre-flight can run.")
    else:
        report = channel_preflight(channel=channel, user=current_user(request))
        (messages.error if report.blocked else messages.success)(request, report.summary())
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#preflight")


class BackfillForm(forms.Form):
    date_from = forms.DateField(label="From (issue date)", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To (issue date)", widget=forms.DateInput(attrs={"type": "date"}))


@login_required
def channel_backfill(request: HttpRequest, channel_id: int) -> HttpResponse:
    """GET with dates: the preview; POST ("queue"): queue the range's invoices and go back."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    data = request.POST if request.method == "POST" else (request.GET if "date_from" in request.GET else None)
    form = BackfillForm(data)
    preview = None
    if data is not None and form.is_valid():
        try:
            if request.method == "POST":
                queued = backfill_queue(channel=channel, **form.cleaned_data)
                messages.success(
                    request,
                    f"{queued} invoice{'' if queued == 1 else 's'} queued for Xero: they are sent at the pace "
                    "of Xero's limits while the channel is active.",
                )
                return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#preflight")
            preview = backfill_preview(channel=channel, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
    return render(
        request,
        "accounting/channel_backfill.html",
        {
            "store": channel.store,
            "channel": channel,
            "form": form,
            "preview": preview,
            "per_minute": LIMITS.per_minute,
            "active_tab": "channels",
        },
    )

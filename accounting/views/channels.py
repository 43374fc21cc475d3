"""The store's "Accounting Channel" tab, adding a channel, the channel page, Is Active, delete."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounting import services
from accounting.checks.preflight import channel_switch_on, preflight_latest
from accounting.forms import ChannelForm
from accounting.models import AccountingChannel
from accounting.providers import PROVIDERS
from accounting.selectors import channel_events, channel_for_member, channels_of_store
from accounting.sync.ledger.summary import channel_sync_overview, xero_day_budget
from accounting.views.common import current_organization, current_user, redirect_uri, safe_next
from accounting.views.line_accounts import line_accounts_context
from accounting.views.payments import payment_accounts_context
from accounting.views.posting import posting_context, tracking_context
from accounting.views.tax import tax_mapping_context
from accounting.views.webhooks import webhooks_context
from stores.selectors import store_for_member


def channel_active_message(*, name: str) -> str:
    return f"“{name}” is active: invoices and products are sent to Xero."


def channel_off_message(*, name: str) -> str:
    return f"“{name}” is switched off: nothing is sent to Xero."


@login_required
def store_channels(request: HttpRequest, store_id: int) -> HttpResponse:
    """Show the store's "Accounting Channel" tab: its channels with state, Is Active and actions."""
    store = store_for_member(organization=current_organization(request), store_id=store_id)
    channels = channels_of_store(store=store)
    return render(
        request, "accounting/store_channels.html", {"store": store, "channels": channels, "active_tab": "channels"}
    )


@login_required
def channel_add(request: HttpRequest, store_id: int) -> HttpResponse:
    """Show the accounting systems a channel can send to ("+ Add")."""
    store = store_for_member(organization=current_organization(request), store_id=store_id)
    return render(
        request,
        "accounting/channel_add.html",
        {"store": store, "providers": PROVIDERS.values(), "active_tab": "channels"},
    )


@login_required
@sensitive_post_parameters("client_secret")
def channel_create(request: HttpRequest, store_id: int, provider: str) -> HttpResponse:
    """Show and save the form of a new channel."""
    store = store_for_member(organization=current_organization(request), store_id=store_id)
    if provider not in PROVIDERS:
        raise Http404("No such accounting system.")
    form = ChannelForm(request.POST or None, instance=AccountingChannel(store=store, provider=provider))
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.channel_create(
                store=store, user=current_user(request), provider=provider, **form.settings_data()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"“{channel.name}” was saved. Connect it to Xero next.")
            return redirect("accounting:channel-detail", channel_id=channel.pk)
    return render(
        request,
        "accounting/channel_form.html",
        {
            "store": store,
            "form": form,
            "provider": PROVIDERS[provider],
            "redirect_uri": redirect_uri(request),
            "active_tab": "channels",
        },
    )


@login_required
@sensitive_post_parameters("client_secret")
def channel_detail(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Show the channel page (Is Active at the top, connection, sync, settings) and save its settings."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    # The form works on a copy, so the page header keeps the saved values while errors are shown.
    form = ChannelForm(request.POST or None, instance=copy.copy(channel))
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(channel=channel, user=current_user(request), **form.settings_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "The channel settings were saved.")
            return redirect("accounting:channel-detail", channel_id=channel.pk)
    return render(
        request,
        "accounting/channel_detail.html",
        {
            "store": channel.store,
            "channel": channel,
            "form": form,
            "events": channel_events(channel=channel),
            "sync": channel_sync_overview(channel=channel),
            "day_budget": xero_day_budget(channel=channel),
            "tax": tax_mapping_context(channel=channel),
            "lines": line_accounts_context(channel=channel),
            "preflight": preflight_latest(channel=channel),
            "payments": payment_accounts_context(channel=channel, request=request),
            "posting": posting_context(channel=channel),
            "tracking": tracking_context(channel=channel),
            "webhooks": webhooks_context(request, channel=channel),
            "redirect_uri": redirect_uri(request),
            "active_tab": "channels",
        },
    )


@login_required
@require_POST
def channel_active(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Switch the channel on (checkbox "is_active" sent) or off (not sent)."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    target = safe_next(request, default=reverse("accounting:channel-detail", args=[channel.pk]))
    try:
        if request.POST.get("is_active"):
            report = channel_switch_on(channel=channel, user=current_user(request))
            messages.success(request, channel_active_message(name=channel.name))
            if report.warnings:
                messages.warning(request, report.summary())
        else:
            services.channel_deactivate(channel=channel, user=current_user(request))
            messages.info(request, channel_off_message(name=channel.name))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(target)


@login_required
def channel_delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Confirm, then delete a channel that was never connected."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    if request.method == "POST":
        try:
            services.channel_delete(channel=channel)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounting:channel-detail", channel_id=channel.pk)
        messages.success(request, f"“{channel.name}” was deleted.")
        return redirect("accounting:store-channels", store_id=channel.store_id)
    return render(
        request,
        "accounting/channel_confirm_delete.html",
        {"store": channel.store, "channel": channel, "active_tab": "channels"},
    )

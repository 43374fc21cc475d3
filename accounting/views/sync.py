"""The channel page's "Sync" card actions: send failed records to Xero again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounting.models import AccountingChannel
from accounting.selectors import channel_for_member
from accounting.sync.ledger.actions import sync_retry, sync_retry_channel
from accounting.sync.ledger.summary import sync_record_of_channel
from accounting.views.common import current_organization, queued_for_retry_message


@login_required
@require_POST
def channel_sync_retry_all(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Queue every failed record of the channel for sending again."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    count = sync_retry_channel(channel_id=channel.pk)
    _report(request, channel=channel, count=count, none="Nothing to retry: no record of this channel has failed.")
    return _back_to_sync_card(channel)


@login_required
@require_POST
def channel_sync_retry(request: HttpRequest, channel_id: int, record_id: int) -> HttpResponse:
    """Queue one failed record of the channel for sending again."""
    organization = current_organization(request)
    channel = channel_for_member(organization=organization, channel_id=channel_id)
    record = sync_record_of_channel(organization=organization, channel=channel, record_id=record_id)
    count = sync_retry(records=[record])
    _report(request, channel=channel, count=count, none="Nothing to retry: this record is no longer failed.")
    return _back_to_sync_card(channel)


def _report(request: HttpRequest, *, channel: AccountingChannel, count: int, none: str) -> None:
    if not count:
        messages.info(request, none)
        return
    messages.success(request, queued_for_retry_message(count=count, sending=channel.is_sending))


def _back_to_sync_card(channel: AccountingChannel) -> HttpResponse:
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#sync")

"""The channel's sync ledger page (filters, failures by cause, Retry / Skip), its live progress
(JSON for the channel page's script) and "Test connection"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounting.checks.health import channel_test_connection
from accounting.models import AccountingChannel
from accounting.selectors import channel_for_member
from accounting.sync.ledger.actions import sync_record_retry, sync_record_skip, sync_retry, sync_skip
from accounting.sync.ledger.forms import LedgerFilterForm
from accounting.sync.ledger.page import (
    channel_sync_progress,
    duration_text,
    failed_rows_with_cause,
    ledger_page,
    progress_summary,
)
from accounting.sync.ledger.summary import sync_record_of_channel
from accounting.sync.models import CAUSE_LENGTH, SyncState
from accounting.templatetags.channel_ops import TEST_RESULTS_KEY
from accounting.views.common import current_organization, current_user, queued_for_retry_message, safe_next


@login_required
@require_GET
def channel_ledger(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Show the channel's sync ledger: filters, failures grouped by cause, a page of rows."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    form = LedgerFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else LedgerFilterForm().filters()
    data = ledger_page(channel=channel, filters=filters, page_number=request.GET.get("page", 1))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounting/channel_ledger.html",
        {
            "store": channel.store,
            "channel": channel,
            "form": form,
            "filters": filters,
            "query": query.urlencode(),
            "active_tab": "channels",
            **data,
        },
    )


def _ledger_url(channel: AccountingChannel) -> str:
    return reverse("accounting:channel-ledger", args=[channel.pk])


def _cause_of(request: HttpRequest) -> str | None:
    cause = request.POST.get("cause", "")
    return cause if 0 < len(cause) <= CAUSE_LENGTH else None


def skipped_message(*, count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'} skipped: not sent until retried."


@login_required
@require_POST
def channel_ledger_retry_cause(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Queue every failed record of the channel with one cause for sending again."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    target = safe_next(request, default=_ledger_url(channel))
    cause = _cause_of(request)
    if cause is None:
        messages.error(request, "Choose a cause of failure to retry.")
        return redirect(target)
    count = sync_retry(records=failed_rows_with_cause(channel=channel, cause=cause))
    if count:
        messages.success(request, queued_for_retry_message(count=count, sending=channel.is_sending))
    else:
        messages.info(request, "Nothing to retry: no failed record has this cause any more.")
    return redirect(target)


@login_required
@require_POST
def channel_ledger_skip_cause(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Skip every failed record of the channel with one cause (not sent until retried)."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    target = safe_next(request, default=_ledger_url(channel))
    cause = _cause_of(request)
    if cause is None:
        messages.error(request, "Choose a cause of failure to skip.")
        return redirect(target)
    records = failed_rows_with_cause(channel=channel, cause=cause)
    try:
        by = current_user(request).get_username()
        count = sync_skip(records=records, by=by, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(target)
    if count:
        messages.success(request, skipped_message(count=count))
    else:
        messages.info(request, "Nothing to skip: no failed record has this cause any more.")
    return redirect(target)


@login_required
@require_POST
def channel_ledger_record(request: HttpRequest, channel_id: int, record_id: int, action: str) -> HttpResponse:
    """Retry or Skip one row of the channel's ledger."""
    organization = current_organization(request)
    channel = channel_for_member(organization=organization, channel_id=channel_id)
    record = sync_record_of_channel(organization=organization, channel=channel, record_id=record_id)
    record.channel = channel
    target = safe_next(request, default=_ledger_url(channel))
    by = current_user(request).get_username()
    state = record.get_state_display().lower()
    try:
        if action == "skip":
            if sync_record_skip(record=record, by=by, reason=request.POST.get("reason", "")):
                messages.success(request, "Skipped: not sent until retried.")
            else:
                messages.info(request, f"Nothing to skip: the record is {state} now.")
        elif sync_record_retry(record=record, by=by):
            text = "Queued for sending again."
            if not channel.is_sending:
                text += " It is sent once the channel is sending again."
            messages.success(request, text)
        else:
            messages.info(request, f"Nothing to retry: the record is {state} now.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(target)


@login_required
@require_GET
def channel_sync_progress_json(request: HttpRequest, channel_id: int) -> JsonResponse:
    """The live progress of the channel's backlog, polled by static/js/sync_progress.js."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    progress = channel_sync_progress(channel=channel)
    last = progress["last_synced_at"]
    body = {
        **progress,
        "last_synced_at": last.isoformat() if last else None,
        "eta_text": duration_text(progress["eta_seconds"]),
        "summary": progress_summary(progress),
        "failed": progress["counts"][SyncState.FAILED],
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def channel_test_connection_view(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Run the read-only probes against Xero; the channel page shows their results once."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    result = channel_test_connection(channel=channel)
    request.session[TEST_RESULTS_KEY.format(channel_id=channel.pk)] = result
    return redirect(reverse("accounting:channel-detail", args=[channel.pk]) + "#health")

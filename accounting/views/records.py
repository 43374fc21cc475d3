"""Retry, Skip and the drift choice of one record's sync row, from its invoice or product page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounting.sync.ledger.actions import DriftChoice, drift_settle, sync_record_retry, sync_record_skip
from accounting.sync.ledger.badges import sync_record_of_store
from accounting.sync.models import RecordKind, SyncRecord
from accounting.views.common import current_user
from organizations.decorators import member_required
from stores.selectors import store_for_member


@member_required
@require_POST
def record_sync_retry(request: HttpRequest, store_id: int, record_id: int) -> HttpResponse:
    """Send one of the store's records to one channel again."""
    return _act(request, store_id=store_id, record_id=record_id, action=_retry)


@member_required
@require_POST
def record_sync_skip(request: HttpRequest, store_id: int, record_id: int) -> HttpResponse:
    """Stop sending one of the store's records to one channel until it is retried."""
    return _act(request, store_id=store_id, record_id=record_id, action=_skip)


@member_required
@require_POST
def record_drift_settle(request: HttpRequest, store_id: int, record_id: int) -> HttpResponse:
    """Store wins / Xero wins (or acknowledge) for a record changed in Xero after it was sent."""
    return _act(request, store_id=store_id, record_id=record_id, action=_drift)


def _drift(request: HttpRequest, record: SyncRecord) -> None:
    choice = request.POST.get("choice", "")
    if drift_settle(record=record, choice=choice, by=current_user(request).get_username()):
        if choice == DriftChoice.STORE:
            messages.success(request, f"Store wins: the store's version is sent to {record.channel.name} again.")
        else:
            messages.success(request, "Xero's version stands.")
    else:
        messages.info(request, "Nothing to choose: this record has no open change from Xero.")


def _retry(request: HttpRequest, record: SyncRecord) -> None:
    if sync_record_retry(record=record, by=current_user(request).get_username()):
        text = f"Queued for sending to {record.channel.name} again."
        if not record.channel.is_sending:
            text += " It is sent once the channel is sending again."
        messages.success(request, text)
    else:
        messages.info(request, f"Nothing to retry: the record is {record.get_state_display().lower()} now.")


def _skip(request: HttpRequest, record: SyncRecord) -> None:
    by = current_user(request).get_username()
    if sync_record_skip(record=record, by=by, reason=request.POST.get("reason", "")):
        messages.success(request, f"Skipped for {record.channel.name}: not sent until retried.")
    else:
        messages.info(request, f"Nothing to skip: the record is {record.get_state_display().lower()} now.")


def _act(
    request: HttpRequest, *, store_id: int, record_id: int, action: Callable[[HttpRequest, SyncRecord], None]
) -> HttpResponse:
    store = store_for_member(organization=request.organization, store_id=store_id)  # type: ignore[attr-defined]
    record = sync_record_of_store(store=store, record_id=record_id)
    try:
        action(request, record)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_record_page(record) + "#xero")


def _record_page(record: SyncRecord) -> str:
    if record.kind == RecordKind.INVOICE:
        return reverse("stores:invoice-detail", args=[record.channel.store_id, record.object_id])
    return reverse("stores:product-edit", args=[record.channel.store_id, record.object_id])

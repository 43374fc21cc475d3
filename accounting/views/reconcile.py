"""The channel's Reconcile page: the store's books beside Xero's for a range of dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounting.checks.reconcile.actions import difference_act
from accounting.checks.reconcile.run import reconciliation_start
from accounting.selectors import channel_for_member
from accounting.sync.models import Reconciliation, ReconciliationState
from accounting.views.common import current_organization, current_user

RECENT_SHOWN = 10
# How often a running reconciliation's page reloads itself (seconds).
REFRESH_SECONDS = 2


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


@login_required
def channel_reconcile(request: HttpRequest, channel_id: int) -> HttpResponse:
    """The range form and the channel's recent reconciliations; POST starts one."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    today = channel.store.today()
    values = {"date_from": (today - dt.timedelta(days=30)).isoformat(), "date_to": today.isoformat()}
    error = ""
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            started = reconciliation_start(
                channel=channel,
                date_from=_date(values["date_from"]),
                date_to=_date(values["date_to"]),
                by=current_user(request).get_username(),
                reuse=False,  # the operator asked for a fresh look (one already running is followed)
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("accounting:channel-reconciliation", channel_id=channel.pk, reconciliation_id=started.pk)
    context: dict[str, Any] = {
        "store": channel.store,
        "channel": channel,
        "values": values,
        "error": error,
        "recent": channel.reconciliations.all()[:RECENT_SHOWN],
        "active_tab": "channels",
    }
    return render(request, "accounting/reconcile_page.html", context, status=400 if error else 200)


@login_required
def channel_reconciliation(request: HttpRequest, channel_id: int, reconciliation_id: int) -> HttpResponse:
    """One reconciliation: its estimate and progress while it runs, then its totals and differences."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    reconciliation = get_object_or_404(Reconciliation, channel=channel, pk=reconciliation_id)
    running = reconciliation.state in (ReconciliationState.QUEUED, ReconciliationState.RUNNING)
    return render(
        request,
        "accounting/reconciliation_detail.html",
        {
            "store": channel.store,
            "channel": channel,
            "r": reconciliation,
            "running": running,
            "refresh": REFRESH_SECONDS if running else None,
            "differences": list(enumerate(reconciliation.differences or [])),
            "active_tab": "channels",
        },
    )


@login_required
@require_POST
def channel_reconciliation_act(request: HttpRequest, channel_id: int, reconciliation_id: int) -> HttpResponse:
    """Send again / accept Xero's for one difference."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    reconciliation = get_object_or_404(Reconciliation, channel=channel, pk=reconciliation_id)
    try:
        index = int(request.POST.get("index", ""))
    except ValueError:
        index = -1
    try:
        done = difference_act(
            reconciliation=reconciliation,
            index=index,
            action=request.POST.get("action", ""),
            by=current_user(request).get_username(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("accounting:channel-reconciliation", channel_id=channel.pk, reconciliation_id=reconciliation.pk)

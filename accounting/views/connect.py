"""Connecting a channel to Xero: "Connect", the OAuth2 callback, the organisation pick, Disconnect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from accounting import services
from accounting.selectors import authorization_for_member, channel_for_member
from accounting.services.connection import state_digest
from accounting.views.common import current_organization, current_user, redirect_uri

# The digests of the states this browser session may come back with (newest last).
SESSION_STATES = "accounting_xero_states"
MAX_PENDING_STATES = 5
STATE_NOT_FROM_THIS_BROWSER = "This answer from Xero does not match a connection started in this browser."


@login_required
@require_POST
def channel_connect(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Send the browser to Xero's consent page with a fresh single-use state bound to this session."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    try:
        url, state = services.authorization_start(
            channel=channel, user=current_user(request), redirect_uri=redirect_uri(request)
        )
    except services.ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("accounting:channel-detail", channel_id=channel.pk)
    pending = [*request.session.get(SESSION_STATES, []), state_digest(state)][-MAX_PENDING_STATES:]
    request.session[SESSION_STATES] = pending
    return redirect(url)


def _bad_state(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "accounting/connect_bad_state.html", {"reason": reason}, status=400)


@login_required
@require_GET
@transaction.non_atomic_requests  # the claimed state and the new tokens must commit at once
@sensitive_variables("code")
def xero_callback(request: HttpRequest) -> HttpResponse:
    """Take Xero's answer: check the state, exchange the code, record the organisation (or offer a pick)."""
    state = request.GET.get("state", "")
    pending = request.session.get(SESSION_STATES, [])
    digest = state_digest(state) if state else ""
    if digest not in pending:
        return _bad_state(request, STATE_NOT_FROM_THIS_BROWSER)
    pending.remove(digest)
    request.session[SESSION_STATES] = pending
    try:
        authorization = services.authorization_claim(state=state, user=current_user(request))
    except services.InvalidAuthorizationState as exc:
        return _bad_state(request, str(exc))
    channel = channel_for_member(organization=current_organization(request), channel_id=authorization.channel_id)
    code = request.GET.get("code", "")
    try:
        result = services.authorization_complete(
            authorization=authorization, code=code, error=request.GET.get("error", "")
        )
    except services.ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("accounting:channel-detail", channel_id=channel.pk)
    if result.authorization is not None:
        return redirect(
            "accounting:channel-choose-organisation", channel_id=channel.pk, authorization_id=result.authorization.pk
        )
    for note in result.notes:
        messages.warning(request, note)
    return redirect("accounting:channel-connected", channel_id=channel.pk)


@login_required
@transaction.non_atomic_requests
def channel_choose_organisation(request: HttpRequest, channel_id: int, authorization_id: int) -> HttpResponse:
    """Let the user pick one of the Xero organisations authorised in one consent."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    authorization = authorization_for_member(
        organization=current_organization(request),
        user=current_user(request),
        channel=channel,
        authorization_id=authorization_id,
    )
    error = ""
    if request.method == "POST":
        try:
            result = services.authorization_choose(
                authorization=authorization, connection_id=request.POST.get("connection", "")
            )
        except services.ConnectError as exc:
            error = str(exc)
        else:
            for note in result.notes:
                messages.warning(request, note)
            return redirect("accounting:channel-connected", channel_id=channel.pk)
    return render(
        request,
        "accounting/connect_choose.html",
        {
            "store": channel.store,
            "channel": channel,
            "authorization": authorization,
            "error": error,
            "active_tab": "channels",
        },
    )


@login_required
def channel_connected(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Show "Congratulations!" after a successful connection, with "Continue" back to the channel."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    if not channel.is_connected:
        return redirect("accounting:channel-detail", channel_id=channel.pk)
    return render(
        request, "accounting/connected.html", {"store": channel.store, "channel": channel, "active_tab": "channels"}
    )


@login_required
@transaction.non_atomic_requests  # a token refreshed on the way must be stored even if Xero then fails
def channel_disconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    """Confirm, then remove the connection in Xero and mark the channel disconnected."""
    channel = channel_for_member(organization=current_organization(request), channel_id=channel_id)
    if request.method == "POST" and channel.connection_state in ("connected", "needs_reconnect"):
        try:
            note = services.channel_disconnect(channel=channel, user=current_user(request))
        except services.ConnectError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, note)
        return redirect("accounting:channel-detail", channel_id=channel.pk)
    return render(
        request,
        "accounting/channel_confirm_disconnect.html",
        {"store": channel.store, "channel": channel, "active_tab": "channels"},
    )

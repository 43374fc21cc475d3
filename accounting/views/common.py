"""Helpers shared by the channel views."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from organizations.models import Organization


def queued_for_retry_message(*, count: int, sending: bool) -> str:
    """What the operator reads after Retry: how many records go again, and when if not now."""
    text = f"{count} record{'' if count == 1 else 's'} queued for retry."
    return text if sending else text + " They are sent once the channel is sending again."


def current_organization(request: HttpRequest) -> Organization | None:
    return getattr(request, "organization", None)


def current_user(request: HttpRequest) -> User:
    # Every channel view requires login, so the user is a real one.
    return cast(User, request.user)


def redirect_uri(request: HttpRequest) -> str:
    """Return the callback URL to register in the merchant's Xero app (the portal's own address)."""
    return request.build_absolute_uri(reverse("accounting:xero-callback"))


def safe_next(request: HttpRequest, default: str) -> str:
    """Return the POSTed `next` URL when it points into the portal, else `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default

"""View decorators for the two levels of access: any member, and owners/admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]

NOT_A_MEMBER = "You are not a member of any organization."
MANAGERS_ONLY = "Only owners and admins can do this."


def member_required(view: View) -> View:
    """Let in a signed-in user who belongs to the current organization; others get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "membership", None) is None:
            raise PermissionDenied(NOT_A_MEMBER)
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view: View) -> View:
    """Let in owners and admins of the current organization only; operators get 403."""

    @member_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.membership.can_manage:  # type: ignore[attr-defined]
            raise PermissionDenied(MANAGERS_ONLY)
        return view(request, *args, **kwargs)

    return wrapper

"""Resolve the current organization of a signed-in user from the session."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import F
from django.http import HttpRequest, HttpResponse

from organizations.models import Membership

SESSION_KEY = "current_organization_id"


class CurrentOrganizationMiddleware:
    """Set `request.organization` and `request.membership` (None when the user has none).

    The session holds the chosen organization id; it is honoured only while the user is
    still a member. Otherwise (a new log-in) the organization the user chose last is taken, or
    the first by name for one who never chose.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = Membership.objects.filter(user=user).select_related("organization")
            chosen = request.session.get(SESSION_KEY)
            membership = None
            if chosen is not None:
                membership = memberships.filter(organization_id=chosen).first()
            if membership is None:
                last_used = F("last_used_at").desc(nulls_last=True)
                membership = memberships.order_by(last_used, "organization__name", "pk").first()
                if membership is not None:
                    request.session[SESSION_KEY] = membership.organization_id
            if membership is not None:
                request.organization = membership.organization  # type: ignore[attr-defined]
                request.membership = membership  # type: ignore[attr-defined]
        return self.get_response(request)

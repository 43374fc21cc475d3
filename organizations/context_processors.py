from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import memberships_for_user


def current_organization(request: HttpRequest) -> dict[str, Any]:
    """Expose the current organization and the user's others (for the header switcher)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organization": getattr(request, "organization", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": memberships_for_user(user=user),
    }

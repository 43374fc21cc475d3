"""Reads about organizations and memberships."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Membership, Organization


def memberships_for_user(*, user: Any) -> QuerySet[Membership]:
    """Return the user's memberships with their organizations, in name order."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization")


def membership_for(*, user: Any, organization: Organization | None) -> Membership | None:
    """Return the user's membership of `organization`, or None."""
    if organization is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organization=organization).first()

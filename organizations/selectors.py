"""Reads about organizations and memberships."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from channels_portal.tenancy import get_in_organization

from .models import Membership, Organization, Role


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


def members_of(*, organization: Organization) -> QuerySet[Membership]:
    """Return the memberships of `organization` with their users, owners first."""
    rank = Case(
        When(role=Role.OWNER, then=Value(0)),
        When(role=Role.ADMIN, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .annotate(role_rank=rank)
        .order_by("role_rank", "user__username")
    )


def membership_in_organization(*, organization: Organization | None, membership_id: object) -> Membership:
    """Return the membership `membership_id` of `organization`; raise Http404 for any other."""
    return get_in_organization(
        Membership.objects.select_related("user"), organization=organization, path="organization", pk=membership_id
    )

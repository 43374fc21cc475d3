"""Writes about memberships: who belongs to an organization, and with which role.

Rules: owners and admins manage members; only an owner grants, changes or removes the owner
role; an organization always keeps at least one owner.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from .models import Membership, Organization, Role


def _check_may_touch(*, actor: Membership, role: str) -> None:
    if not actor.can_manage:
        raise ValidationError("Only owners and admins can manage members.")
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise ValidationError("Only an owner can grant, change or remove the owner role.")


def _check_keeps_an_owner(*, membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(organization_id=membership.organization_id, role=Role.OWNER)
    if membership.role == Role.OWNER and not owners.exclude(pk=membership.pk).exists():
        raise ValidationError("An organization needs at least one owner: make someone else owner first.")


@transaction.atomic
def membership_add(*, organization: Organization, actor: Membership, identifier: str, role: str) -> Membership:
    """Add the existing user whose username or e-mail is `identifier` to `organization`."""
    _check_may_touch(actor=actor, role=role)
    identifier = identifier.strip()
    users = get_user_model().objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))
    users = users.filter(is_active=True)
    if not identifier or not users.exists():
        raise ValidationError({"identifier": "No active user has this username or e-mail address."})
    if users.count() > 1:
        raise ValidationError({"identifier": "Several users share this e-mail address: use the username."})
    user = users.get()
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationError({"identifier": f"{user.get_username()} is already a member of {organization.name}."})
    return Membership.objects.create(organization=organization, user=user, role=role)


@transaction.atomic
def membership_role_change(*, membership: Membership, actor: Membership, role: str) -> Membership:
    """Give `membership` another role."""
    if role not in Role.values:
        raise ValidationError("Unknown role.")
    _check_may_touch(actor=actor, role=membership.role)
    _check_may_touch(actor=actor, role=role)
    if role != Role.OWNER:
        _check_keeps_an_owner(membership=membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Membership) -> None:
    """Remove a member from the organization (their user account stays)."""
    _check_may_touch(actor=actor, role=membership.role)
    _check_keeps_an_owner(membership=membership)
    membership.delete()

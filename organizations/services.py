"""Writes about memberships: who belongs to an organization, and with which role.

Rules: owners and admins manage members; only an owner grants, changes or removes the owner
role; an organization always keeps at least one owner. Members join by invitation
(organizations.invitations).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Membership, Role

MANAGERS_ONLY_MANAGE_MEMBERS = "Only owners and admins can manage members."
OWNERS_ONLY_TOUCH_OWNERS = "Only an owner can grant, change or remove the owner role."
KEEP_AN_OWNER = "An organization needs at least one owner: make someone else owner first."
PICK_A_ROLE = "Pick one of the roles: Owner, Admin or Operator."


def check_may_touch(*, actor: Membership, role: str) -> None:
    if not actor.can_manage:
        raise ValidationError(MANAGERS_ONLY_MANAGE_MEMBERS)
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise ValidationError(OWNERS_ONLY_TOUCH_OWNERS)


def _check_keeps_an_owner(*, membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(organization_id=membership.organization_id, role=Role.OWNER)
    if membership.role == Role.OWNER and not owners.exclude(pk=membership.pk).exists():
        raise ValidationError(KEEP_AN_OWNER)


@transaction.atomic
def membership_role_change(*, membership: Membership, actor: Membership, role: str) -> Membership:
    """Give `membership` another role."""
    if role not in Role.values:
        raise ValidationError("Unknown role.")
    check_may_touch(actor=actor, role=membership.role)
    check_may_touch(actor=actor, role=role)
    if role != Role.OWNER:
        _check_keeps_an_owner(membership=membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Membership) -> None:
    """Remove a member from the organization (their user account stays)."""
    check_may_touch(actor=actor, role=membership.role)
    _check_keeps_an_owner(membership=membership)
    membership.delete()


def membership_mark_used(*, membership: Membership) -> None:
    """Record that the user chose this organization now: their next log-in starts in it."""
    Membership.objects.filter(pk=membership.pk).update(last_used_at=timezone.now())

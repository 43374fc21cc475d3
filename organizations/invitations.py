"""Invitations: how someone becomes a member. Services and selectors (nothing else writes them).

An owner or admin invites an e-mail address with a role; the address gets a link with a
single-use random token (only its digest is stored) valid for INVITATION_TTL. The answer to
the inviter is the same whether or not the address has an account. Whoever opens the link
accepts it with the account of that address: logged in, after logging in, or by creating the
account there (the link proves the address). Inviting an address again replaces its open
invitation (a new link; the old one stops working).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Invitation, Membership, Organization, Role, hash_invitation_token
from .services import PICK_A_ROLE, check_may_touch

INVITATION_TTL = dt.timedelta(days=7)

INVITATION_LINK_INVALID = "This invitation link is not valid. Check that it was copied whole."
INVITATION_ALREADY_ACCEPTED = "This invitation has already been accepted."
INVITATION_WITHDRAWN = "This invitation was withdrawn. Ask for a new one if you still need access."
INVITATION_EXPIRED = "This invitation has expired. Ask for a new one."


def invitation_other_address_message(*, email: str, username: str) -> str:
    return (
        f"This invitation was sent to {email}, and you are logged in as {username} "
        "with another address. Log out, then open the link again to log in or sign up with that address."
    )


def account_exists_message(*, email: str) -> str:
    return f"An account already uses {email}: log in with it to accept."


class InvitationUnusable(Exception):
    """Raise when an invitation link cannot be used (unknown, used, withdrawn, expired, other address)."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def invitation_link(*, raw_token: str) -> str:
    # The token travels in the query string, which no server log keeps (channels_portal.log_filters).
    return f"{settings.SITE_URL}{reverse('organizations:invitation-accept')}?{urlencode({'token': raw_token})}"


# Selectors -------------------------------------------------------------------------------------


def open_invitations_of(*, organization: Organization) -> QuerySet[Invitation]:
    """Return the organization's invitations that can still be accepted, newest first."""
    return Invitation.objects.filter(
        organization=organization, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def invitation_for_token(*, raw_token: str, for_update: bool = False) -> Invitation:
    """Return the open invitation of `raw_token`; raise InvitationUnusable saying why it is not usable."""
    invitations = Invitation.objects.select_related("organization", "invited_by")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_digest=hash_invitation_token(raw_token)).first() if raw_token else None
    if invitation is None:
        raise InvitationUnusable(INVITATION_LINK_INVALID)
    if invitation.accepted_at is not None:
        raise InvitationUnusable(INVITATION_ALREADY_ACCEPTED)
    if invitation.revoked_at is not None:
        raise InvitationUnusable(INVITATION_WITHDRAWN)
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(INVITATION_EXPIRED)
    return invitation


# Services --------------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, organization: Organization, actor: Membership, email: str, role: str) -> Invitation:
    """Invite `email` to `organization` with `role` and e-mail the link (once the transaction commits)."""
    if role not in Role.values:
        raise ValidationError({"role": PICK_A_ROLE})
    check_may_touch(actor=actor, role=role)
    email = normalize_email(email)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {organization.name}."})
    now = timezone.now()
    open_ones = Invitation.objects.select_for_update().filter(
        organization=organization, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    )
    open_ones.update(revoked_at=now)  # a new invitation replaces the open one
    raw_token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_digest=hash_invitation_token(raw_token),
        invited_by=actor.user,
        expires_at=now + INVITATION_TTL,
    )
    message = render_to_string(
        "organizations/email/invitation.txt",
        {"invitation": invitation, "link": invitation_link(raw_token=raw_token), "inviter": actor.user},
    )
    subject = " ".join(f"Join {organization.name} on Channels Portal".split())  # no line break in a header
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=message, from_email=None, recipient_list=[email]), robust=True
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership) -> None:
    """Withdraw an open invitation: its link stops working at once."""
    check_may_touch(actor=actor, role=invitation.role)
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def invitation_accept(*, raw_token: str, user: Any) -> Membership:
    """Make `user`, whose e-mail address is the invited one, a member; the link is then used up."""
    invitation = invitation_for_token(raw_token=raw_token, for_update=True)
    if normalize_email(user.email or "") != invitation.email:
        raise InvitationUnusable(invitation_other_address_message(email=invitation.email, username=user.get_username()))
    now = timezone.now()
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    membership.last_used_at = now
    membership.save(update_fields=["last_used_at"])
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_sign_up(*, raw_token: str, username: str, password: str) -> Membership:
    """Create the account of the invited address (the link proves it) and accept the invitation with it."""
    invitation = invitation_for_token(raw_token=raw_token, for_update=True)
    users = get_user_model().objects
    if users.filter(email__iexact=invitation.email).exists():
        raise ValidationError(account_exists_message(email=invitation.email))
    user = users.create_user(username=username, email=invitation.email, password=password)
    return invitation_accept(raw_token=raw_token, user=user)

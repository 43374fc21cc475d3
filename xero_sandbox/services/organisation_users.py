"""Which Xero users may access an organisation: the consent page lists and connects only those.

The sandbox's Xero user is the Django user signed in on the same site (as login.xero.com keeps
its own sign-in in the browser). A user reaches an organisation only through an explicit grant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from xero_sandbox.models import Organisation, OrganisationUser


class UnknownUser(ValueError):
    """A username that names no Django user."""


def users_by_username(*, usernames: Iterable[str]) -> list[Any]:
    """Return the Django users named, in order; raise UnknownUser naming those that do not exist."""
    wanted = list(dict.fromkeys(name.strip() for name in usernames if name.strip()))
    model = get_user_model()
    found = {user.get_username(): user for user in model._default_manager.filter(username__in=wanted)}
    missing = [name for name in wanted if name not in found]
    if missing:
        raise UnknownUser(f"No user named {', '.join(repr(name) for name in missing)} exists on this site.")
    return [found[name] for name in wanted]


def organisation_user_grant(*, organisation: Organisation, user: Any) -> bool:
    """Give `user` access to `organisation` (idempotent); return whether it is new."""
    _, created = OrganisationUser.objects.get_or_create(organisation=organisation, user=user)
    return created


def organisation_user_remove(*, organisation: Organisation, user: Any) -> bool:
    """Take `user`'s access to `organisation` away (its existing connections stay, as in Xero)."""
    deleted, _ = OrganisationUser.objects.filter(organisation=organisation, user=user).delete()
    return bool(deleted)


def organisations_of_user(*, user: Any) -> QuerySet[Organisation]:
    """Return the organisations `user` may access, by name (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(user_accesses__user=user).order_by("name", "pk")


def organisations_of_user_picked(*, user: Any, tenant_ids: Iterable[str]) -> list[Organisation] | None:
    """Return the organisations of `tenant_ids` when `user` may access every one of them, else None.

    A tenant id that is malformed, unknown or another user's organisation makes the whole pick
    refused (None): nothing is connected.
    """
    wanted: set[uuid.UUID] = set()
    for raw in tenant_ids:
        try:
            wanted.add(uuid.UUID(str(raw).strip()))
        except ValueError:
            return None
    found = list(organisations_of_user(user=user).filter(tenant_id__in=wanted))
    return found if len(found) == len(wanted) else None

"""Tenant-checked access: the one way views reach an organization's objects.

Another organization's object answers 404, exactly like a missing one, so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def get_in_organization(queryset: QuerySet[M], *, organization: Any, path: str, **lookup: Any) -> M:
    """Return the one object of `queryset` matching `lookup` that belongs to `organization`.

    `path` is the lookup from the model to its Organization (e.g. "store__organization").
    Raise Http404 when it is missing or belongs to another organization.
    """
    if organization is None:
        raise Http404("No organization selected.")
    try:
        return queryset.get(**{path: organization}, **lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404(f"No {queryset.model._meta.verbose_name} found.") from None

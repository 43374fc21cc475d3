"""Billing API keys in the portal: owners and admins create, list and revoke them.

A new key is shown once, on the page answering the creation; only its SHA-256 digest and
its first characters (to recognise it) are kept. The service and selector functions live
here with the views because nothing else writes keys.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from channels_portal.tenancy import get_in_organization

from .models import API_KEY_PREFIX_LENGTH, ApiKey, Organization, generate_api_key, hash_api_key

# Selectors and services ------------------------------------------------------------------------


def api_keys_of(*, organization: Organization) -> QuerySet[ApiKey]:
    """Return the organization's keys, newest first, with their creators."""
    return ApiKey.objects.filter(organization=organization).select_related("created_by")


@transaction.atomic
def api_key_create(*, organization: Organization, name: str, created_by: Any) -> tuple[ApiKey, str]:
    """Create a key; return it with the raw key, which is never stored and cannot be shown again."""
    raw_key = generate_api_key()
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=raw_key[: len("cp_") + API_KEY_PREFIX_LENGTH],
        key_hash=hash_api_key(raw_key),
        created_by=created_by,
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key at once: its next request answers 401. Revoking twice keeps the first date."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


# Views -----------------------------------------------------------------------------------------


NAME_REQUIRED = "Give the key a name."
MANAGERS_ONLY_MANAGE_KEYS = "Only owners and admins manage API keys."


def api_key_revoked_message(*, name: str, prefix: str) -> str:
    return f"API key “{name}” ({prefix}…) is revoked."


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        strip=True,
        help_text="What uses the key, e.g. “Shopify connector”.",
        error_messages={"required": NAME_REQUIRED},
    )


def _managed_organization(request: HttpRequest) -> Organization:
    """Return the current organization if the user may manage its keys; refuse otherwise (403)."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can_manage:
        raise PermissionDenied(MANAGERS_ONLY_MANAGE_KEYS)
    return membership.organization


@login_required
@require_http_methods(["GET", "POST"])
def api_key_list(request: HttpRequest) -> HttpResponse:
    """List the organization's keys; on POST create one and show it this once."""
    organization = _managed_organization(request)
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        api_key, raw_key = api_key_create(
            organization=organization, name=form.cleaned_data["name"], created_by=request.user
        )
        # Rendered, not redirected: the raw key must not travel through the session or a message.
        response = render(request, "organizations/api_keys_created.html", {"api_key": api_key, "raw_key": raw_key})
        response["Cache-Control"] = "no-store"
        return response
    keys = api_keys_of(organization=organization)
    return render(request, "organizations/api_keys.html", {"form": form, "api_keys": keys})


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    """Revoke one of the organization's keys (another organization's key answers 404)."""
    organization = _managed_organization(request)
    api_key = get_in_organization(ApiKey.objects.all(), organization=organization, path="organization", pk=key_id)
    api_key_revoke(api_key=api_key)
    messages.success(request, api_key_revoked_message(name=api_key.name, prefix=api_key.prefix))
    return redirect("organizations:api-keys")

"""Billing API authentication: `Authorization: Bearer <api key>`.

A key answers for one organization. Only its SHA-256 digest is stored, so the lookup is by
digest; a malformed key is refused before touching the database.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiKey, Organization, hash_api_key

KEY_PREFIX = "cp_"
# generate_api_key() makes "cp_" + 43 URL-safe characters; allow some slack, refuse junk.
KEY_MIN_LENGTH, KEY_MAX_LENGTH = 20, 200
# Recording every use would write (and lock) the key row on every request; once a minute is
# precise enough for the "last used" column.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class ApiKeyPrincipal:
    """The authenticated caller of the Billing API: an organization, through one of its keys."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.organization: Organization = api_key.organization
        # DRF's throttles and logs identify the caller by pk: use the key's.
        self.pk = api_key.pk

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}… of {self.organization}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by the organization API key it carries as a Bearer token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        raw_key = raw_key.strip()
        if scheme.lower() != self.keyword.lower() or not raw_key or " " in raw_key:
            raise exceptions.AuthenticationFailed("Send the API key as 'Authorization: Bearer <key>'.")
        key = self._active_key(raw_key)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        self._record_use(key)
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'

    @staticmethod
    def _active_key(raw_key: str) -> ApiKey | None:
        if not raw_key.startswith(KEY_PREFIX) or not KEY_MIN_LENGTH <= len(raw_key) <= KEY_MAX_LENGTH:
            return None
        return (
            ApiKey.objects.select_related("organization")
            .filter(key_hash=hash_api_key(raw_key), revoked_at__isnull=True)
            .first()
        )

    @staticmethod
    def _record_use(key: ApiKey) -> None:
        """Stamp `last_used_at` after the request commits, at most once a minute.

        After commit, so the key row is not locked for the length of the request (the
        request runs in one transaction, ATOMIC_REQUESTS) and parallel calls don't queue.
        """
        now = timezone.now()
        if key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION:
            return
        stale = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).exclude(
            last_used_at__gte=now - LAST_USED_PRECISION
        )
        transaction.on_commit(lambda: stale.update(last_used_at=now), robust=True)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe the Bearer API key in the OpenAPI schema (and the docs page's Authorize button)."""

    target_class = "organizations.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization API key, created by an owner or admin in the portal "
            "(Organization → API keys). Send it as `Authorization: Bearer cp_…`.",
        }

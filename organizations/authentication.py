"""Billing API authentication: `Authorization: Bearer <api key>`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiKey, hash_api_key


class ApiKeyPrincipal:
    """The authenticated caller of the Billing API: an organization, through one of its keys."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.organization = api_key.organization

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}… of {self.organization}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not raw_key.strip():
            raise exceptions.AuthenticationFailed("Send the API key as 'Authorization: Bearer <key>'.")
        key = (
            ApiKey.objects.select_related("organization")
            .filter(key_hash=hash_api_key(raw_key.strip()), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request: Any) -> str:
        return self.keyword

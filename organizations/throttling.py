"""The client address that log-in throttling (django-axes) counts failures against."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the client, seen through `TRUSTED_PROXY_COUNT` reverse proxies.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For,
    so the client is the Nth entry from the right. Entries further left are whatever the
    client sent and are ignored: trusting them would let anyone dodge the lock-out.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return request.META.get("REMOTE_ADDR")
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return request.META.get("REMOTE_ADDR")
    return forwarded[-proxies]

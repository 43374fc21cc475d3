"""The one HTTP stack of every Xero call the SDK makes (accounting and identity alike).

An SDK `ApiClient` with: its own token object (the SDK's `Configuration()` hands out shallow
copies of one process-wide default, so a shared token would let threads send each other's
tokens), a token saver that refuses (tokens are refreshed only by `accounting.access.tokens`, under a
row lock), a urllib3 pool with retries off (the SDK's default pool would sleep through a
day-long Retry-After and re-send a PUT after a read timeout), and a (connect, read) timeout
for every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import certifi
import urllib3
from django.conf import settings
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token


def request_timeout() -> tuple[float, float]:
    """Return the (connect, read) timeout of a call: the SDK ignores a plain float."""
    total = float(settings.XERO_REQUEST_TIMEOUT)
    return (min(10.0, total), total)


def _refuse_token_save(token: dict[str, Any]) -> None:
    raise RuntimeError("The SDK tried to refresh a token by itself; refresh through accounting.access.tokens.")


def bearer_token(access_token: str) -> dict[str, Any]:
    """Return the SDK token dict for an access token: no refresh token and no expiry, so the SDK
    never tries to refresh by itself."""
    return {
        "access_token": access_token,
        "refresh_token": None,  # nosec B105  # an empty slot of a token set, not a password
        "id_token": None,  # nosec B105  # an empty slot of a token set, not a password
        "scope": [],
        "expires_in": None,
        "expires_at": None,
        "token_type": "Bearer",  # nosec B105  # OAuth token type name, not a password
    }


def sdk_api_client(*, token_getter: Callable[[], dict[str, Any]]) -> ApiClient:
    """Return an SDK ApiClient that authenticates with `token_getter()`, never retries and never refreshes."""
    configuration = Configuration()
    configuration.oauth2_token = OAuth2Token(expiration_buffer=0)
    client = ApiClient(configuration, oauth2_token_getter=token_getter, oauth2_token_saver=_refuse_token_save)
    client.rest_client.pool_manager = urllib3.PoolManager(
        num_pools=4, maxsize=4, retries=False, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where()
    )
    return client

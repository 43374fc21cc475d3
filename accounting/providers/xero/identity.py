"""Xero connections (the organisations a token set reaches), through the xero-python SDK's IdentityApi.

Calls go through the one HTTP stack of `http` (retries off, timeouts, no SDK refresh) and fail
with the one error family of `errors` (`XeroOAuthError`, with its retry decision).
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import urllib3
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from xero_python.api_client import ApiClient
from xero_python.exceptions import ApiException, HTTPStatusException
from xero_python.identity import IdentityApi

from accounting.providers.xero.errors import UNREACHABLE, XeroOAuthError
from accounting.providers.xero.http import bearer_token, request_timeout
from accounting.providers.xero.http import sdk_api_client as http_client

# The errors of a call Xero refused because the token no longer grants access (e.g. revoked in Xero).
ACCESS_REFUSED = ("http_401", "http_403")


@dataclass(frozen=True)
class XeroConnection:
    id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str
    auth_event_id: str


@sensitive_variables("access_token")
def sdk_api_client(*, access_token: str) -> ApiClient:
    """Return an SDK ApiClient of the one HTTP stack (`http`) that authenticates with `access_token`."""
    token = bearer_token(access_token)
    return http_client(token_getter=lambda: token)


class _IdentityApi(IdentityApi):
    """The SDK's IdentityApi on Xero's documented path `/connections`.

    The SDK asks for `/Connections`; Xero's routing ignores case, but the documented (and
    sandbox) path is lowercase, so the portal uses that one.
    """

    def get_resource_url(self, resource_path: str) -> str:
        return self.base_url + resource_path.replace("/Connections", "/connections", 1)


def _identity_api(access_token: str) -> IdentityApi:
    return _IdentityApi(sdk_api_client(access_token=access_token), base_url=settings.XERO_API_URL)


def auth_event_id(access_token: str) -> str | None:
    """Return the `authentication_event_id` claim of a Xero access token (None if it has none).

    The token came straight from Xero's token endpoint, so its signature is not checked here.
    """
    try:
        claims = jwt.decode(access_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    value = claims.get("authentication_event_id")
    return str(value) if value else None


@sensitive_variables("access_token")
def connections_list(*, access_token: str, only_auth_event: bool = True) -> list[XeroConnection]:
    """Return the organisations the token reaches; with `only_auth_event`, those chosen in its consent only."""
    event_id = auth_event_id(access_token) if only_auth_event else None
    api = _identity_api(access_token)
    try:
        if event_id:
            rows = api.get_connections(auth_event_id=event_id, _request_timeout=request_timeout())
        else:
            rows = api.get_connections(_request_timeout=request_timeout())
    except HTTPStatusException as exc:
        raise XeroOAuthError(f"http_{exc.status}", "GET connections was refused.", status=exc.status) from None
    except (ApiException, urllib3.exceptions.HTTPError) as exc:
        # The SDK's other kinds (ApiSSLException, status 0): no answer from Xero came back.
        raise XeroOAuthError(UNREACHABLE, type(exc).__name__) from None
    return [
        XeroConnection(
            id=str(row.id),
            tenant_id=str(row.tenant_id),
            tenant_name=row.tenant_name or "",
            tenant_type=row.tenant_type or "",
            auth_event_id=str(row.auth_event_id or ""),
        )
        for row in rows or []
    ]


@sensitive_variables("access_token")
def connection_delete(*, access_token: str, connection_id: str) -> None:
    """Delete one connection in Xero; a connection Xero no longer has counts as deleted."""
    api = _identity_api(access_token)
    try:
        api.delete_connection(connection_id, _request_timeout=request_timeout())
    except HTTPStatusException as exc:
        if exc.status == 404:
            return
        raise XeroOAuthError(f"http_{exc.status}", "DELETE connection was refused.", status=exc.status) from None
    except (ApiException, urllib3.exceptions.HTTPError) as exc:
        # The SDK's other kinds (ApiSSLException, status 0): no answer from Xero came back.
        raise XeroOAuthError(UNREACHABLE, type(exc).__name__) from None

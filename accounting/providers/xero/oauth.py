"""OAuth2 with Xero's identity service: authorize URL, code exchange, refresh and revocation.

Authlib does the protocol work (state, PKCE S256, token requests with HTTP Basic client auth);
this module adds explicit timeouts, no automatic retries, and one error type whose `error`
code callers can act on. Token sets leave this module in the exact shape the xero-python SDK
accepts (see `sdk_token_set`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from accounting.providers.xero.errors import BAD_RESPONSE, UNREACHABLE, XeroOAuthError

# The only keys xero-python's OAuth2Token accepts; any other key makes it raise.
SDK_TOKEN_KEYS = ("access_token", "refresh_token", "id_token", "scope", "expires_in", "expires_at", "token_type")


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str


def authorize_endpoint() -> str:
    return f"{settings.XERO_LOGIN_URL}/identity/connect/authorize"


def token_endpoint() -> str:
    return f"{settings.XERO_IDENTITY_URL}/connect/token"


def revocation_endpoint() -> str:
    return f"{settings.XERO_IDENTITY_URL}/connect/revocation"


def _session(*, client_id: str, client_secret: str = "", redirect_uri: str | None = None) -> OAuth2Session:
    # requests' default adapter never retries; the timeout is explicit on every call.
    return OAuth2Session(
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_basic",  # nosec B106  # name of an OAuth client authentication method, not a password
        revocation_endpoint_auth_method="client_secret_basic",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=settings.XERO_REQUEST_TIMEOUT,
    )


def authorization_request(*, client_id: str, redirect_uri: str, scopes: list[str]) -> AuthorizationRequest:
    """Return the URL that sends the browser to Xero's consent page, with a fresh state and PKCE verifier."""
    state = generate_token(40)
    code_verifier = generate_token(64)
    session = _session(client_id=client_id, redirect_uri=redirect_uri)
    url, _ = session.create_authorization_url(
        authorize_endpoint(), state=state, code_verifier=code_verifier, scope=" ".join(scopes)
    )
    return AuthorizationRequest(url=url, state=state, code_verifier=code_verifier)


@sensitive_variables("client_secret", "code", "code_verifier", "raw")
def code_exchange(
    *, client_id: str, client_secret: str, code: str, redirect_uri: str, code_verifier: str
) -> dict[str, Any]:
    """Exchange an authorization code for a token set; raise XeroOAuthError when Xero refuses."""
    session = _session(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri)
    raw = _token_call(
        lambda: session.fetch_token(
            token_endpoint(), grant_type="authorization_code", code=code, code_verifier=code_verifier
        )
    )
    return sdk_token_set(raw)


@sensitive_variables("client_secret", "refresh_token", "raw")
def token_refresh(*, client_id: str, client_secret: str, refresh_token: str) -> dict[str, Any]:
    """Return a new token set for `refresh_token` (which Xero then retires); raise XeroOAuthError."""
    session = _session(client_id=client_id, client_secret=client_secret)
    raw = _token_call(lambda: session.refresh_token(token_endpoint(), refresh_token=refresh_token))
    return sdk_token_set(raw)


@sensitive_variables("client_secret", "refresh_token")
def token_revoke(*, client_id: str, client_secret: str, refresh_token: str) -> None:
    """Revoke `refresh_token` (Xero then removes all of that user's connections to the app)."""
    session = _session(client_id=client_id, client_secret=client_secret)
    try:
        response = session.revoke_token(revocation_endpoint(), token=refresh_token, token_type_hint="refresh_token")  # nosec B106  # RFC 7009 token type hint, not a password
    except requests.RequestException as exc:
        raise XeroOAuthError(UNREACHABLE, type(exc).__name__) from None
    if response.status_code != 200:
        raise XeroOAuthError(_error_code(response), f"HTTP {response.status_code}")


def _token_call(call: Any) -> Mapping[str, Any]:
    """Run a token-endpoint call, turning every failure into XeroOAuthError."""
    try:
        return call()
    except OAuthError as exc:
        raise XeroOAuthError(str(exc.error or "oauth_error"), str(exc.description or "")) from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise XeroOAuthError(BAD_RESPONSE, f"HTTP {status}") from None
    except requests.RequestException as exc:
        raise XeroOAuthError(UNREACHABLE, type(exc).__name__) from None
    except ValueError as exc:
        raise XeroOAuthError(BAD_RESPONSE, str(exc)) from None


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return BAD_RESPONSE
    return str(body.get("error") or BAD_RESPONSE) if isinstance(body, dict) else BAD_RESPONSE


def sdk_token_set(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return `raw` (a token endpoint answer) with exactly the keys and types the xero-python SDK accepts."""
    if not raw.get("access_token"):
        raise XeroOAuthError(BAD_RESPONSE, "The token answer has no access_token.")
    expires_in = int(raw.get("expires_in") or 1800)
    scope = raw.get("scope") or []
    return {
        "access_token": raw["access_token"],
        "refresh_token": raw.get("refresh_token"),
        "id_token": raw.get("id_token"),
        "scope": scope.split() if isinstance(scope, str) else list(scope),
        "expires_in": expires_in,
        "expires_at": float(raw.get("expires_at") or time.time() + expires_in),
        "token_type": raw.get("token_type") or "Bearer",
    }

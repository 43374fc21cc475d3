"""Access tokens (JWTs), id tokens and refresh tokens, shaped like identity.xero.com's."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone

from xero_sandbox.models import Grant, RefreshToken

from .signing import signing_key

ACCESS_TOKEN_SECONDS = 30 * 60
REFRESH_TOKEN_LIFETIME = timedelta(days=60)
AUDIENCE = "https://identity.xero.com/resources"
SANDBOX_USER_EMAIL = "sandbox.user@example.com"
# A fixed namespace so the one sandbox user keeps the same id across restarts.
USER_NAMESPACE = uuid.UUID("6f1c1d2e-3c1b-4c2e-9a51-7d0b2f1e5a10")


def sandbox_user_id(email: str = SANDBOX_USER_EMAIL) -> uuid.UUID:
    """Return the stable Xero user id of a sandbox user."""
    return uuid.uuid5(USER_NAMESPACE, email.lower())


def xero_user_id(user: Any) -> uuid.UUID:
    """Return the stable Xero user id of a Django user signed in on the consent page.

    Each Django user is its own Xero user: its connections, grants and revocations are its own.
    """
    return uuid.uuid5(USER_NAMESPACE, f"django-user:{user.pk}")


def _identity_claims(user: Any) -> dict[str, str]:
    """The profile claims of an id token: the signed-in Django user's, or the fixed sandbox user's."""
    if user is None:
        return {
            "preferred_username": SANDBOX_USER_EMAIL,
            "email": SANDBOX_USER_EMAIL,
            "given_name": "Sandbox",
            "family_name": "User",
        }
    email = user.email or f"{user.get_username()}@example.com"
    return {
        "preferred_username": email,
        "email": email,
        "given_name": user.first_name or user.get_username(),
        "family_name": user.last_name,
    }


def issuer() -> str:
    """Return the issuer claim: the identity host the sandbox stands in for (real Xero's when off)."""
    return str(settings.XERO_IDENTITY_URL).rstrip("/")


def _sign(claims: dict[str, Any]) -> str:
    kid, key = signing_key()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _verify(token: str, *, verify_exp: bool = True) -> dict[str, Any]:
    _, key = signing_key()
    return jwt.decode(
        token, key.public_key(), algorithms=["RS256"], audience=AUDIENCE, options={"verify_exp": verify_exp}
    )


def hash_token(token: str) -> str:
    """Return the digest under which a refresh token or code is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def access_token_encode(*, grant: Grant, expires_in: int = ACCESS_TOKEN_SECONDS) -> str:
    """Return a signed access token for `grant` valid for `expires_in` seconds (may be negative)."""
    now = int(time.time())
    claims = {
        "nbf": now,
        "exp": now + expires_in,
        "iss": issuer(),
        "aud": AUDIENCE,
        "client_id": grant.app.client_id,
        "sub": grant.user_id.hex,
        "auth_time": now,
        "xero_userid": str(grant.user_id),
        "global_session_id": grant.session_id.hex,
        "sid": grant.session_id.hex,
        "jti": secrets.token_hex(16),
        "authentication_event_id": str(grant.auth_event_id),
        "scope": list(grant.scopes),
        "amr": ["pwd"],
    }
    return _sign(claims)


class TokenExpired(Exception):
    def __init__(self, expired_at: int) -> None:
        super().__init__("token expired")
        self.expired_at = expired_at


class TokenInvalid(Exception):
    pass


def access_token_decode(token: str) -> dict[str, Any]:
    """Return the claims of a valid access token; raise TokenExpired or TokenInvalid."""
    try:
        return _verify(token)
    except jwt.ExpiredSignatureError:
        claims = _verify(token, verify_exp=False)
        raise TokenExpired(int(claims["exp"])) from None
    except jwt.PyJWTError as exc:
        raise TokenInvalid(str(exc)) from None


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def id_token_encode(*, grant: Grant, access_token: str) -> str:
    """Return an OpenID id_token for the Xero user of `grant`."""
    now = int(time.time())
    claims = {
        "nbf": now,
        "exp": now + 300,
        "iss": issuer(),
        "aud": grant.app.client_id,
        "iat": now,
        "at_hash": _at_hash(access_token),
        "sid": grant.session_id.hex,
        "sub": grant.user_id.hex,
        "auth_time": now,
        "xero_userid": str(grant.user_id),
        "global_session_id": grant.session_id.hex,
        **_identity_claims(grant.signed_in_user),
    }
    if grant.nonce:
        claims["nonce"] = grant.nonce
    return _sign(claims)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    id_token: str
    expires_in: int
    scopes: list[str]

    def as_answer(self) -> dict[str, Any]:
        """Return the token endpoint's JSON answer (scope as one space-separated string)."""
        answer: dict[str, Any] = {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "token_type": "Bearer",  # nosec B105  # OAuth token type name, not a password
            "refresh_token": self.refresh_token,
            "scope": " ".join(self.scopes),
        }
        if self.id_token:
            answer["id_token"] = self.id_token
        return answer

    def as_sdk_token(self) -> dict[str, Any]:
        """Return the dict xero-python's `oauth2_token` accepts (exactly these keys)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "id_token": self.id_token,
            "scope": list(self.scopes),
            "expires_in": self.expires_in,
            "expires_at": time.time() + self.expires_in,
            "token_type": "Bearer",  # nosec B105  # OAuth token type name, not a password
        }


def token_set_issue(*, grant: Grant, expires_in: int = ACCESS_TOKEN_SECONDS) -> TokenSet:
    """Issue a new access token and refresh token (and id_token with openid) for `grant`."""
    refresh = secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        grant=grant, token_hash=hash_token(refresh), expires_at=timezone.now() + REFRESH_TOKEN_LIFETIME
    )
    access_token = access_token_encode(grant=grant, expires_in=expires_in)
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh,
        id_token=id_token_encode(grant=grant, access_token=access_token) if "openid" in grant.scopes else "",
        expires_in=expires_in,
        scopes=list(grant.scopes),
    )

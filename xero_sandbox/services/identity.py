"""The OAuth2 flows of login.xero.com and identity.xero.com: authorize, consent, token, revoke."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from xero_sandbox.models import AuthorizationCode, Connection, DeveloperApp, Grant, Organisation, RefreshToken

from .apps import app_bulk_connections, app_connection_cap
from .organisation_users import organisations_of_user_picked
from .tokens import TokenSet, hash_token, sandbox_user_id, token_set_issue, xero_user_id

DEFAULT_SCOPES = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings",
]
CODE_LIFETIME = timedelta(minutes=5)
REUSE_GRACE = timedelta(minutes=30)
IDENTITY_SCOPES = {"openid", "profile", "email", "offline_access"}
GRANULAR_SCOPES = {
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.reports.read",
    "accounting.journals.read",
    "accounting.budgets.read",
}
# Broad scopes refused for apps created on or after 2 March 2026.
LEGACY_SCOPES = {"accounting.transactions", "accounting.transactions.read"}


class OAuthError(Exception):
    """An OAuth2 error answer: `error` is the RFC 6749 code, `description` the human text."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class AuthorizeRequest:
    """A checked authorize request, carried through the consent page."""

    app: DeveloperApp
    redirect_uri: str
    scopes: list[str]
    state: str = ""
    code_challenge: str = ""
    nonce: str = ""
    errors: list[str] = field(default_factory=list)


def authorize_app_check(*, client_id: str, redirect_uri: str) -> DeveloperApp:
    """Return the app, or raise OAuthError for an unknown client or a redirect URI not registered.

    These two are shown on an error page (never redirected to), as Xero does.
    """
    app = DeveloperApp.objects.filter(client_id=client_id).first()
    if app is None:
        raise OAuthError("unauthorized_client", "Unknown client or client not enabled")
    if redirect_uri not in app.redirect_uri_list:
        raise OAuthError("invalid_request", "Invalid redirect_uri")
    return app


def scopes_check(*, app: DeveloperApp, scope: str) -> list[str]:
    """Return the requested scopes, or raise OAuthError(invalid_scope)."""
    scopes = list(dict.fromkeys(scope.split()))
    if not scopes:
        raise OAuthError("invalid_scope", "No scope requested")
    allowed = IDENTITY_SCOPES | GRANULAR_SCOPES | (LEGACY_SCOPES if app.legacy_scopes else set())
    unknown = [s for s in scopes if s not in allowed]
    if unknown:
        raise OAuthError("invalid_scope", f"Invalid scope for client: {', '.join(unknown)}")
    return scopes


def authorize_request_check(*, params: dict[str, str]) -> AuthorizeRequest:
    """Check every authorize parameter; raise OAuthError (app/redirect errors first)."""
    app = authorize_app_check(client_id=params.get("client_id", ""), redirect_uri=params.get("redirect_uri", ""))
    request = AuthorizeRequest(app=app, redirect_uri=params["redirect_uri"], scopes=[], state=params.get("state", ""))
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    request.scopes = scopes_check(app=app, scope=params.get("scope", ""))
    challenge = params.get("code_challenge", "")
    if challenge and params.get("code_challenge_method", "plain") != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    request.code_challenge = challenge
    request.nonce = params.get("nonce", "")
    return request


def connections_check(*, app: DeveloperApp, organisations: list[Organisation]) -> None:
    """Refuse what the app's tier does not allow: several organisations at once, or past its connection cap."""
    if len(organisations) > 1 and not app_bulk_connections(app=app):
        raise OAuthError(
            "invalid_request",
            f"This app can connect one organisation at a time (bulk connections need the Advanced tier; "
            f"it is on {app.get_tier_display()}).",
        )
    connected = set(Connection.objects.filter(app=app).values_list("organisation_id", flat=True))
    cap = app_connection_cap(app=app)
    if len(connected | {o.pk for o in organisations}) > cap:
        raise OAuthError(
            "invalid_request",
            f"This app has reached its limit of {cap} connected organisations ({app.get_tier_display()} tier).",
        )


@transaction.atomic
def consent_allow(*, request: AuthorizeRequest, tenant_ids: Iterable[str], user: Any) -> str:
    """Connect the picked organisations to the app for the signed-in Xero `user`; return a fresh code.

    Only organisations `user` may access can be connected (login.xero.com lists no others); a pick
    naming any other is refused whole (OAuthError) and connects nothing.
    """
    tenant_ids = [tenant for tenant in tenant_ids if str(tenant).strip()]
    if not tenant_ids:
        raise OAuthError("invalid_request", "Pick at least one organisation")
    organisations = organisations_of_user_picked(user=user, tenant_ids=tenant_ids)
    if organisations is None:
        raise OAuthError(
            "invalid_request",
            "Your Xero user has no access to an organisation you picked: pick one of the organisations listed.",
        )
    connections_check(app=request.app, organisations=organisations)
    user_id = xero_user_id(user)
    auth_event_id = uuid.uuid4()
    for organisation in organisations:
        Connection.objects.update_or_create(
            app=request.app,
            organisation=organisation,
            user_id=user_id,
            defaults={"auth_event_id": auth_event_id},
        )
    code = secrets.token_urlsafe(32)
    AuthorizationCode.objects.create(
        app=request.app,
        code_hash=hash_token(code),
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
        user_id=user_id,
        signed_in_user=user,
        auth_event_id=auth_event_id,
        tenant_ids=[str(o.tenant_id) for o in organisations],
        code_challenge=request.code_challenge,
        nonce=request.nonce,
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    return code


def client_authenticate(*, client_id: str, client_secret: str) -> DeveloperApp:
    """Return the app whose credentials these are, or raise OAuthError(invalid_client)."""
    app = DeveloperApp.objects.filter(client_id=client_id).first()
    if app is None or not secrets.compare_digest(app.client_secret.encode(), client_secret.encode()):
        raise OAuthError("invalid_client", status=400)
    return app


def _pkce_matches(*, verifier: str, challenge: str) -> bool:
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return secrets.compare_digest(digest, challenge)


def _code_present(*, app: DeveloperApp, code: str) -> AuthorizationCode:
    """Spend a presented code, in a transaction of its own that commits whatever the exchange does next.

    Xero spends a code when it is presented to the token endpoint, even if the exchange then fails
    (wrong redirect_uri, code_verifier or client): a second presentation is invalid_grant. The same
    client presenting a spent code again also revokes the tokens the code bought (RFC 6749 §4.1.2).
    Return the code when it may still buy tokens for `app`, else raise OAuthError(invalid_grant).
    """
    if not code:
        raise OAuthError("invalid_grant")
    now = timezone.now()
    with transaction.atomic():
        found = AuthorizationCode.objects.select_for_update().filter(code_hash=hash_token(code)).first()
        if found is None:
            raise OAuthError("invalid_grant")
        first_presentation = found.used_at is None
        if first_presentation:
            found.used_at = now
            found.save(update_fields=["used_at"])
        elif found.app_id == app.pk and found.grant_id is not None:
            Grant.objects.filter(pk=found.grant_id, revoked_at__isnull=True).update(revoked_at=now)
    if not first_presentation or found.app_id != app.pk or found.expires_at <= now:
        raise OAuthError("invalid_grant")
    return found


def code_exchange(*, app: DeveloperApp, code: str, redirect_uri: str, code_verifier: str = "") -> dict[str, Any]:
    """Spend an authorization code and return the token endpoint's answer.

    The code is spent (committed) before anything else is checked: a refused exchange leaves it spent.
    """
    found = _code_present(app=app, code=code)
    if found.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match")
    verified = bool(code_verifier) and _pkce_matches(verifier=code_verifier, challenge=found.code_challenge)
    if found.code_challenge and not verified:
        raise OAuthError("invalid_grant", "code_verifier does not match")
    with transaction.atomic():
        grant = Grant.objects.create(
            app=app,
            user_id=found.user_id,
            signed_in_user_id=found.signed_in_user_id,
            scopes=found.scopes,
            auth_event_id=found.auth_event_id,
            nonce=found.nonce,
        )
        AuthorizationCode.objects.filter(pk=found.pk).update(grant=grant)
        return token_set_issue(grant=grant).as_answer()


def refresh_token_rotate(*, app: DeveloperApp, refresh_token: str) -> dict[str, Any]:
    """Spend a refresh token for a new pair; a spent one replays its answer for 30 minutes.

    Runs in its own transaction so an invalid_grant answer still records nothing half-done.
    """
    with transaction.atomic():
        token = (
            RefreshToken.objects.select_for_update()
            .select_related("grant__app")
            .filter(token_hash=hash_token(refresh_token))
            .first()
        )
        now = timezone.now()
        if token is None or token.grant.app_id != app.pk or token.grant.revoked_at is not None:
            raise OAuthError("invalid_grant")
        if token.spent_at is not None:
            if token.successor_answer and now - token.spent_at <= REUSE_GRACE:
                return dict(token.successor_answer)
            raise OAuthError("invalid_grant")
        if token.expires_at <= now:
            raise OAuthError("invalid_grant")
        answer = token_set_issue(grant=token.grant).as_answer()
        token.spent_at = now
        token.successor_answer = answer
        token.save(update_fields=["spent_at", "successor_answer"])
        return answer


@transaction.atomic
def refresh_token_revoke(*, app: DeveloperApp, token: str) -> None:
    """Revoke the grant of a refresh token and remove the user's connections to the app.

    An unknown token is accepted silently, as RFC 7009 asks.
    """
    found = RefreshToken.objects.select_related("grant").filter(token_hash=hash_token(token), grant__app=app).first()
    if found is None:
        return
    grant = found.grant
    Grant.objects.filter(app=app, user_id=grant.user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    Connection.objects.filter(app=app, user_id=grant.user_id).delete()


@transaction.atomic
def token_issue_direct(
    *, app: DeveloperApp, organisations: list[Organisation], scopes: list[str] | None = None, expires_in: int = 1800
) -> TokenSet:
    """Connect `organisations` to `app` and issue a token set without the browser (tests, drills).

    The app's tier rules apply as on the consent page (raise OAuthError).
    """
    connections_check(app=app, organisations=organisations)
    user_id = sandbox_user_id()
    auth_event_id = uuid.uuid4()
    for organisation in organisations:
        Connection.objects.update_or_create(
            app=app, organisation=organisation, user_id=user_id, defaults={"auth_event_id": auth_event_id}
        )
    grant = Grant.objects.create(
        app=app,
        user_id=user_id,
        scopes=scopes or DEFAULT_SCOPES,
        auth_event_id=auth_event_id,
    )
    return token_set_issue(grant=grant, expires_in=expires_in)

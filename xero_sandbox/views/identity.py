"""login.xero.com (authorize + consent) and identity.xero.com (token, revocation)."""

from __future__ import annotations

import base64
import binascii
import time
from urllib.parse import unquote, urlencode, urlsplit

import csp.constants
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from xero_sandbox.api.responses import json_response
from xero_sandbox.models import DeveloperApp
from xero_sandbox.services import identity, signing
from xero_sandbox.services.apps import app_bulk_connections
from xero_sandbox.services.identity import OAuthError
from xero_sandbox.services.organisation_users import organisations_of_user
from xero_sandbox.services.request_log import request_log_record

AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)


def _redirect_with(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    separator = "&" if "?" in redirect_uri else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode({k: v for k, v in params.items() if v != ''})}")


def _error_page(request: HttpRequest, error: OAuthError) -> HttpResponse:
    return render(request, "xero_sandbox/authorize_error.html", {"error": error}, status=400)


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """Show the consent page (GET), then redirect with a code or access_denied (POST).

    As login.xero.com does, the visitor signs in first: an anonymous visitor is sent to the site's
    log-in page, and comes back here after it.
    """
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "") for name in AUTHORIZE_PARAMS}
    try:
        identity.authorize_app_check(client_id=params["client_id"], redirect_uri=params["redirect_uri"])
    except OAuthError as exc:
        return _error_page(request, exc)
    try:
        checked = identity.authorize_request_check(params=params)
    except OAuthError as exc:
        return _redirect_with(
            params["redirect_uri"], error=exc.error, error_description=exc.description, state=params["state"]
        )
    if not request.user.is_authenticated:
        query = urlencode({name: value for name, value in params.items() if value})
        return redirect_to_login(f"{request.path}?{query}")
    if request.method == "GET":
        return _consent_page(request, checked, params)
    if request.POST.get("action") != "allow":
        return _redirect_with(checked.redirect_uri, error="access_denied", state=checked.state)
    try:
        code = identity.consent_allow(request=checked, tenant_ids=request.POST.getlist("tenant"), user=request.user)
    except OAuthError as exc:
        return _consent_page(request, checked, params, error=exc.description, status=400)
    return _redirect_with(checked.redirect_uri, code=code, scope=" ".join(checked.scopes), state=checked.state)


def _consent_page(
    request: HttpRequest, checked: identity.AuthorizeRequest, params: dict[str, str], error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "app": checked.app,
        "scopes": checked.scopes,
        "params": params,
        # Only the organisations the signed-in Xero user may access, as on login.xero.com.
        "organisations": organisations_of_user(user=request.user),
        "username": request.user.get_username(),
        # Xero lets a user tick several organisations only for apps on the bulk-connection tier.
        "bulk": app_bulk_connections(app=checked.app),
        "error": error,
    }
    response = render(request, "xero_sandbox/consent.html", context, status=status)
    # The consent form posts here and is answered with a redirect to the app's redirect URI, on
    # any host; browsers check the page's form-action on that redirect too. So this page's policy
    # also allows the (checked, registered) redirect URI's origin, as an OAuth server's must.
    redirect = urlsplit(checked.redirect_uri)
    response[csp.constants.HEADER] = build_policy(update={"form-action": [f"{redirect.scheme}://{redirect.netloc}"]})
    return response


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client") from None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _token_answer(request: HttpRequest) -> tuple[int, dict[str, object], DeveloperApp | None]:
    app = None
    try:
        client_id, secret = _client_credentials(request)
        app = identity.client_authenticate(client_id=client_id, client_secret=secret)
        grant_type = request.POST.get("grant_type", "")
        if grant_type == "authorization_code":
            answer = identity.code_exchange(
                app=app,
                code=request.POST.get("code", ""),
                redirect_uri=request.POST.get("redirect_uri", ""),
                code_verifier=request.POST.get("code_verifier", ""),
            )
        elif grant_type == "refresh_token":
            answer = identity.refresh_token_rotate(app=app, refresh_token=request.POST.get("refresh_token", ""))
        else:
            raise OAuthError("unsupported_grant_type")
    except OAuthError as exc:
        body: dict[str, object] = {"error": exc.error}
        if exc.description:
            body["error_description"] = exc.description
        return exc.status, body, app
    return 200, answer, app


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def token(request: HttpRequest) -> HttpResponse:
    """Exchange a code, or rotate a refresh token (identity.xero.com/connect/token)."""
    started = time.monotonic()
    status, body, app = _token_answer(request)
    response = json_response(body, status=status)
    response["Cache-Control"] = "no-store"
    request_log_record(
        request=request,
        status=status,
        duration_ms=int((time.monotonic() - started) * 1000),
        response_body=response.content,
        app=app,
    )
    return response


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def revocation(request: HttpRequest) -> HttpResponse:
    """Revoke a refresh token: the user's connections to the app go with it."""
    started = time.monotonic()
    try:
        client_id, secret = _client_credentials(request)
        app = identity.client_authenticate(client_id=client_id, client_secret=secret)
    except OAuthError as exc:
        response = json_response({"error": exc.error}, status=400)
        request_log_record(request=request, status=400, duration_ms=0, response_body=response.content)
        return response
    identity.refresh_token_revoke(app=app, token=request.POST.get("token", ""))
    request_log_record(request=request, status=200, duration_ms=int((time.monotonic() - started) * 1000), app=app)
    return HttpResponse(status=200)


def openid_configuration(request: HttpRequest) -> HttpResponse:
    """Serve the OpenID discovery document, pointing at the sandbox's own endpoints."""
    identity_url = str(settings.XERO_IDENTITY_URL).rstrip("/")
    return json_response(
        {
            "issuer": identity_url,
            "authorization_endpoint": f"{str(settings.XERO_LOGIN_URL).rstrip('/')}/identity/connect/authorize",
            "token_endpoint": f"{identity_url}/connect/token",
            "revocation_endpoint": f"{identity_url}/connect/revocation",
            "jwks_uri": f"{identity_url}/.well-known/openid-configuration/jwks",
            "scopes_supported": sorted(identity.IDENTITY_SCOPES | identity.GRANULAR_SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


def jwks(request: HttpRequest) -> HttpResponse:
    """Serve the public keys that verify the sandbox's access and id tokens."""
    return json_response(signing.jwks())

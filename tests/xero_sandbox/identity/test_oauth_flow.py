"""The authorization-code flow through the consent page, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.csp import STRICT, directives
from xero_sandbox.models import Connection, RequestLog

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REDIRECT = "http://localhost:9999/xero/callback/"
SCOPES = "openid profile email offline_access accounting.invoices accounting.contacts accounting.settings"


def _authorize_params(app, **extra):
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "st-8Jx2",
    }
    params.update(extra)
    return params


def _consent(session: requests.Session, base: str, params: dict, *, action: str, tenants: list[str]):
    """Open the consent page, then press a button; return the redirect's query."""
    page = session.get(f"{base}/login/identity/connect/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert "Allow access" in page.text and "Cancel" in page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    form.update({"action": action, "tenant": tenants})
    answer = session.post(
        f"{base}/login/identity/connect/authorize",
        data=form,
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    location = urlparse(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def _basic(app) -> dict[str, str]:
    raw = f"{app.client_id}:{app.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_the_consent_page_lets_its_form_go_on_to_the_apps_redirect_uri(
    xero_sandbox, sandbox_app, tenant, xero_user_session
):
    """Allow access answers with a redirect to the app, on its own host: browsers check the
    consent page's form-action on that redirect, so its policy names the redirect URI's origin."""
    page = xero_user_session.get(
        f"{xero_sandbox}/login/identity/connect/authorize", params=_authorize_params(sandbox_app), timeout=10
    )
    assert (page.status_code, page.url.split("?")[0]) == (200, f"{xero_sandbox}/login/identity/connect/authorize")
    policy = directives(page.headers["Content-Security-Policy"])
    assert {name: policy.get(name) for name in STRICT} == STRICT
    form_action = policy["form-action"].split()
    assert (form_action[0], form_action[-1]) == ("'self'", "http://localhost:9999")


def test_allow_access_returns_code_and_state_and_the_code_buys_tokens_for_the_picked_organisation(
    xero_sandbox, sandbox_app, sandbox_org, xero_user, xero_user_session
):
    from xero_sandbox.testing import organisation_create

    other = organisation_create(name="Northwind Traders Ltd", users=[xero_user])
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = _consent(
        xero_user_session,
        xero_sandbox,
        _authorize_params(sandbox_app, code_challenge=challenge, code_challenge_method="S256"),
        action="allow",
        tenants=[str(other.tenant_id)],
    )
    assert query["state"] == "st-8Jx2"
    assert "error" not in query

    token = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=_basic(sandbox_app),
        timeout=10,
    )
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert body["scope"] == SCOPES
    assert {"access_token", "refresh_token", "id_token"} <= set(body)

    claims = __import__("jwt").decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["nbf"] == 1800
    connections = requests.get(
        f"{xero_sandbox}/api/connections",
        params={"authEventId": claims["authentication_event_id"]},
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    ).json()
    assert [(c["tenantId"], c["tenantName"], c["tenantType"]) for c in connections] == [
        (str(other.tenant_id), "Northwind Traders Ltd", "ORGANISATION")
    ]

    reused = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers=_basic(sandbox_app),
        timeout=10,
    )
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})

    logged = " ".join(f"{r.query} {r.request_body} {r.response_body}" for r in RequestLog.objects.all())
    assert "/identity/connect/token" in {r.path.removeprefix("/xero-sandbox") for r in RequestLog.objects.all()}
    for secret in (
        body["access_token"],
        body["refresh_token"],
        body["id_token"],
        query["code"],
        sandbox_app.client_secret,
    ):
        assert secret not in logged


def test_cancel_returns_access_denied_with_state_and_connects_nothing(
    xero_sandbox, sandbox_app, tenant, xero_user_session
):
    query = _consent(xero_user_session, xero_sandbox, _authorize_params(sandbox_app), action="cancel", tenants=[tenant])
    assert query == {"error": "access_denied", "state": "st-8Jx2"}
    assert Connection.objects.count() == 0


def test_form_client_auth_works_and_a_wrong_pkce_verifier_is_invalid_grant(
    xero_sandbox, sandbox_app, tenant, xero_user_session
):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"right" * 10).digest()).rstrip(b"=").decode()
    query = _consent(
        xero_user_session,
        xero_sandbox,
        _authorize_params(sandbox_app, code_challenge=challenge, code_challenge_method="S256"),
        action="allow",
        tenants=[tenant],
    )
    answer = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": "wrong" * 10,
            "client_id": sandbox_app.client_id,
            "client_secret": sandbox_app.client_secret,
        },
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_wrong_secret_is_invalid_client(xero_sandbox, sandbox_app):
    answer = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": sandbox_app.client_id,
            "client_secret": "nope",
        },
        timeout=10,
    )
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_client"})


def test_unregistered_redirect_uri_shows_an_error_page_and_never_redirects(xero_sandbox, sandbox_app):
    answer = requests.get(
        f"{xero_sandbox}/login/identity/connect/authorize",
        params=_authorize_params(sandbox_app, redirect_uri="http://localhost:9999/other/"),
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400
    assert "Invalid redirect_uri" in answer.text


def test_broad_transactions_scope_is_refused_with_invalid_scope(xero_sandbox, sandbox_app):
    answer = requests.get(
        f"{xero_sandbox}/login/identity/connect/authorize",
        params=_authorize_params(sandbox_app, scope="offline_access accounting.transactions"),
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    assert query["error"] == ["invalid_scope"]
    assert query["state"] == ["st-8Jx2"]


def test_the_granular_bank_transactions_scopes_can_be_asked_for_and_open_bank_transactions(
    xero_sandbox, sandbox_app, tenant, xero_user_session
):
    scope = "offline_access accounting.banktransactions accounting.banktransactions.read"
    query = _consent(
        xero_user_session, xero_sandbox, _authorize_params(sandbox_app, scope=scope), action="allow", tenants=[tenant]
    )
    assert "error" not in query
    token = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={"grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT},
        headers=_basic(sandbox_app),
        timeout=10,
    )
    assert token.status_code == 200
    assert token.json()["scope"] == scope
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "xero-tenant-id": tenant}
    listed = requests.get(f"{xero_sandbox}/api/api.xro/2.0/BankTransactions", headers=headers, timeout=10)
    assert (listed.status_code, listed.json()["BankTransactions"]) == (200, [])
    invoices = requests.get(f"{xero_sandbox}/api/api.xro/2.0/Invoices", headers=headers, timeout=10)
    assert (invoices.status_code, invoices.json()["Detail"]) == (401, "AuthorizationUnsuccessful")


@pytest.mark.browser
def test_consent_page_in_a_browser_allows_access(page, live_server, xero_sandbox, sandbox_app, tenant, xero_user):
    from urllib.parse import urlencode

    from tests.xero_sandbox.conftest import session_cookie

    name, value = session_cookie(xero_user)  # signed in on the site, as Xero remembers its own sign-in
    page.context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
    page.route("http://localhost:9999/**", lambda route: route.fulfill(status=200, body="callback reached"))
    page.goto(f"{xero_sandbox}/login/identity/connect/authorize?{urlencode(_authorize_params(sandbox_app))}")
    assert page.get_by_role("heading").first.inner_text().startswith("Channels Portal Test wants access")
    assert page.get_by_text("Signed in as xero-user").is_visible()
    page.get_by_label("Demo Company (UK)").check()
    page.get_by_role("button", name="Allow access").click()
    page.wait_for_url("http://localhost:9999/xero/callback/**")
    query = parse_qs(urlparse(page.url).query)
    assert query["state"] == ["st-8Jx2"]
    assert len(query["code"][0]) > 20


def test_authlib_client_completes_the_flow_and_verifies_the_id_token_with_the_published_keys(
    xero_sandbox, sandbox_app, tenant, settings, xero_user_session
):
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    discovery = requests.get(f"{xero_sandbox}/identity/.well-known/openid-configuration", timeout=10).json()
    assert discovery["token_endpoint"] == f"{xero_sandbox}/identity/connect/token"
    client = OAuth2Session(
        sandbox_app.client_id,
        sandbox_app.client_secret,
        scope=SCOPES,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, state = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="n-1"
    )
    params = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    query = _consent(xero_user_session, xero_sandbox, params, action="allow", tenants=[tenant])
    assert query["state"] == state
    token = client.fetch_token(
        discovery["token_endpoint"], code=query["code"], state=state, code_verifier=verifier, timeout=10
    )
    import jwt

    keys = jwt.PyJWKSet.from_dict(requests.get(discovery["jwks_uri"], timeout=10).json())
    key = keys[jwt.get_unverified_header(token["id_token"])["kid"]].key
    claims = jwt.decode(
        token["id_token"], key, algorithms=["RS256"], audience=sandbox_app.client_id, issuer=settings.XERO_IDENTITY_URL
    )
    # The id token names the Xero user who signed in on the consent page.
    assert (claims["nonce"], claims["email"], claims["preferred_username"]) == (
        "n-1",
        "xero-user@example.com",
        "xero-user@example.com",
    )
    access = jwt.decode(
        token["access_token"], key, algorithms=["RS256"], audience="https://identity.xero.com/resources"
    )
    assert access["client_id"] == sandbox_app.client_id
    assert access["scope"] == SCOPES.split()

"""An authorization code is spent when it is presented to the token endpoint, whether or not the
exchange succeeds; presenting a spent code again revokes what it bought (RFC 6749 §4.1.2).

Real HTTP through the live server: the consent page as the signed-in Xero user, then the token endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from xero_sandbox import testing
from xero_sandbox.models import Grant

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
REDIRECT = "http://localhost:9999/xero/callback/"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
VERIFIER = "k" * 60


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _code(session: requests.Session, base: str, app, tenant: str, **extra: str) -> str:
    """Allow access on the consent page; return the code Xero hands to the redirect URI."""
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "offline_access accounting.invoices",
        "state": "st-9",
        **extra,
    }
    page = session.get(f"{base}/login/identity/connect/authorize", params=params, timeout=T)
    form = {**dict(HIDDEN.findall(page.text)), "action": "allow", "tenant": tenant}
    answer = session.post(f"{base}/login/identity/connect/authorize", data=form, allow_redirects=False, timeout=T)
    assert answer.status_code == 302, answer.text[:300]
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def _exchange(base: str, app, code: str, *, redirect_uri: str = REDIRECT, **extra: str) -> requests.Response:
    return requests.post(
        f"{base}/identity/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra},
        auth=(app.client_id, app.client_secret),
        timeout=T,
    )


def _answer(response: requests.Response) -> tuple[int, dict]:
    return response.status_code, response.json()


def test_a_code_presented_with_a_wrong_redirect_uri_is_spent(xero_sandbox, sandbox_app, tenant, xero_user_session):
    code = _code(xero_user_session, xero_sandbox, sandbox_app, tenant)
    wrong = _exchange(xero_sandbox, sandbox_app, code, redirect_uri="http://localhost:9999/other/")
    assert _answer(wrong) == (400, {"error": "invalid_grant", "error_description": "redirect_uri does not match"})
    again = _exchange(xero_sandbox, sandbox_app, code)
    assert _answer(again) == (400, {"error": "invalid_grant"})
    assert Grant.objects.count() == 0


def test_a_code_presented_with_a_wrong_code_verifier_is_spent(xero_sandbox, sandbox_app, tenant, xero_user_session):
    code = _code(xero_user_session, xero_sandbox, sandbox_app, tenant, code_challenge=_challenge(VERIFIER),
                 code_challenge_method="S256")  # fmt: skip
    wrong = _exchange(xero_sandbox, sandbox_app, code, code_verifier="w" * 60)
    assert _answer(wrong) == (400, {"error": "invalid_grant", "error_description": "code_verifier does not match"})
    assert _answer(_exchange(xero_sandbox, sandbox_app, code, code_verifier=VERIFIER)) == (
        400,
        {"error": "invalid_grant"},
    )
    assert Grant.objects.count() == 0


def test_a_code_presented_by_another_client_is_spent(xero_sandbox, sandbox_app, tenant, xero_user_session):
    code = _code(xero_user_session, xero_sandbox, sandbox_app, tenant)
    other_app = testing.app_create(name="Another app", redirect_uri=REDIRECT)
    assert _answer(_exchange(xero_sandbox, other_app, code)) == (400, {"error": "invalid_grant"})
    assert _answer(_exchange(xero_sandbox, sandbox_app, code)) == (400, {"error": "invalid_grant"})
    assert Grant.objects.count() == 0


def test_a_request_failing_client_authentication_does_not_spend_the_code(
    xero_sandbox, sandbox_app, tenant, xero_user_session
):
    code = _code(xero_user_session, xero_sandbox, sandbox_app, tenant)
    unauthenticated = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(sandbox_app.client_id, "not-the-secret"),
        timeout=T,
    )
    assert _answer(unauthenticated) == (400, {"error": "invalid_client"})
    assert _exchange(xero_sandbox, sandbox_app, code).status_code == 200


def test_a_code_presented_again_after_a_good_exchange_revokes_the_tokens_it_bought(
    xero_sandbox, sandbox_app, tenant, xero_user_session
):
    code = _code(xero_user_session, xero_sandbox, sandbox_app, tenant)
    first = _exchange(xero_sandbox, sandbox_app, code)
    assert first.status_code == 200
    assert _answer(_exchange(xero_sandbox, sandbox_app, code)) == (400, {"error": "invalid_grant"})
    refreshed = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
        auth=(sandbox_app.client_id, sandbox_app.client_secret),
        timeout=T,
    )
    assert _answer(refreshed) == (400, {"error": "invalid_grant"})
    assert Grant.objects.get().revoked_at is not None


def test_another_client_presenting_a_spent_code_revokes_nothing(xero_sandbox, sandbox_app, tenant, xero_user_session):
    code = _code(xero_user_session, xero_sandbox, sandbox_app, tenant)
    first = _exchange(xero_sandbox, sandbox_app, code)
    other_app = testing.app_create(name="Another app", redirect_uri=REDIRECT)
    assert _answer(_exchange(xero_sandbox, other_app, code)) == (400, {"error": "invalid_grant"})
    refreshed = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
        auth=(sandbox_app.client_id, sandbox_app.client_secret),
        timeout=T,
    )
    assert refreshed.status_code == 200

"""The consent page signs the Xero user in first and offers only that user's organisations.

Real HTTP through the live server, as a browser without JavaScript: the sandbox's Xero user is the
Django user signed in on the same site.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.factories import UserFactory
from tests.xero_sandbox.conftest import signed_in_session
from xero_sandbox import testing
from xero_sandbox.models import AuthorizationCode, Connection

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
REDIRECT = "http://localhost:9999/xero/callback/"
AUTHORIZE = "/xero-sandbox/login/identity/connect/authorize"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
OFFERED = re.compile(r'<input type="(?:radio|checkbox)" name="tenant" value="[^"]+"[^>]*>\s*([^<]+?)\s*</label>')
REFUSED = "Your Xero user has no access to an organisation you picked: pick one of the organisations listed."


def _params(app) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "offline_access accounting.invoices",
        "state": "st-5",
    }


@pytest.fixture
def stranger_org(db):
    """An organisation of another Xero user."""
    return testing.organisation_create(
        name="Other Owner Books Ltd", users=[UserFactory.create(username="someone-else")]
    )


def _allow(session: requests.Session, base: str, app, tenants: list[str]) -> requests.Response:
    page = session.get(f"{base}/login/identity/connect/authorize", params=_params(app), timeout=T)
    assert page.status_code == 200, page.text[:300]
    form = dict(HIDDEN.findall(page.text))
    form.update({"action": "allow", "tenant": tenants})
    return session.post(f"{base}/login/identity/connect/authorize", data=form, allow_redirects=False, timeout=T)


def test_an_anonymous_visitor_is_sent_to_log_in_and_comes_back_to_the_consent_page(
    xero_sandbox, sandbox_app, sandbox_org
):
    browser = requests.Session()
    authorize = f"{xero_sandbox}/login/identity/connect/authorize"
    answer = browser.get(authorize, params=_params(sandbox_app), allow_redirects=False, timeout=T)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/accounts/login/"
    back = urlsplit(parse_qs(location.query)["next"][0])
    assert back.path == AUTHORIZE
    assert {key: values[0] for key, values in parse_qs(back.query).items()} == _params(sandbox_app)
    assert "Allow access" not in answer.text

    # The log-in form, filled in as a user does, brings the browser back to the consent page.
    login = browser.get(urljoin(answer.url, answer.headers["Location"]), timeout=T)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert found is not None, login.text
    token = found.group(1)
    form = {"username": "xero-user", "password": "correct horse battery staple", "csrfmiddlewaretoken": token}
    form["next"] = parse_qs(location.query)["next"][0]
    consent = browser.post(login.url, data=form, headers={"Referer": login.url}, timeout=T)
    assert consent.status_code == 200
    assert urlsplit(consent.url).path == AUTHORIZE
    assert "Signed in as xero-user" in consent.text
    assert OFFERED.findall(consent.text) == ["Demo Company (UK)"]


def test_an_anonymous_post_is_sent_to_log_in_and_connects_nothing(xero_sandbox, live_server, sandbox_app, tenant):
    browser = requests.Session()
    browser.get(f"{live_server.url}/accounts/login/", timeout=T)  # a CSRF cookie, as any page of the site gives
    csrf = browser.cookies["csrftoken"]
    answer = browser.post(
        f"{xero_sandbox}/login/identity/connect/authorize",
        data={**_params(sandbox_app), "action": "allow", "tenant": tenant, "csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=T,
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/accounts/login/"
    assert urlsplit(parse_qs(location.query)["next"][0]).path == AUTHORIZE
    assert (Connection.objects.count(), AuthorizationCode.objects.count()) == (0, 0)


def test_a_signed_in_user_sees_only_the_organisations_they_may_access(
    xero_sandbox, sandbox_app, sandbox_org, stranger_org, xero_user, xero_user_session
):
    testing.organisation_create(name="Northwind Traders Ltd", users=[xero_user])
    page = xero_user_session.get(f"{xero_sandbox}/login/identity/connect/authorize", params=_params(sandbox_app))
    assert page.status_code == 200
    assert OFFERED.findall(page.text) == ["Demo Company (UK)", "Northwind Traders Ltd"]
    assert "Other Owner Books Ltd" not in page.text
    assert str(stranger_org.tenant_id) not in page.text

    theirs = signed_in_session(UserFactory.create(username="someone-else")).get(
        f"{xero_sandbox}/login/identity/connect/authorize", params=_params(sandbox_app), timeout=T
    )
    assert OFFERED.findall(theirs.text) == ["Other Owner Books Ltd"]
    assert "Demo Company (UK)" not in theirs.text


def test_allow_access_naming_another_users_organisation_is_refused_and_connects_nothing(
    xero_sandbox, sandbox_app, sandbox_org, stranger_org, xero_user_session
):
    answer = _allow(xero_user_session, xero_sandbox, sandbox_app, [str(stranger_org.tenant_id)])
    assert answer.status_code == 400
    assert REFUSED in answer.text
    assert "Other Owner Books Ltd" not in answer.text
    assert (Connection.objects.count(), AuthorizationCode.objects.count()) == (0, 0)


def test_a_pick_mixing_own_and_anothers_organisation_is_refused_whole(
    xero_sandbox, sandbox_org, stranger_org, xero_user_session
):
    app = testing.app_create(redirect_uri=REDIRECT, tier="advanced")  # may connect several at once
    answer = _allow(xero_user_session, xero_sandbox, app, [str(sandbox_org.tenant_id), str(stranger_org.tenant_id)])
    assert answer.status_code == 400
    assert REFUSED in answer.text
    assert Connection.objects.count() == 0


@pytest.mark.parametrize("tenant", ["not-a-tenant-id", "7d3f4c1e-0000-4000-8000-000000000000"])
def test_a_malformed_or_unknown_tenant_is_refused(xero_sandbox, sandbox_app, sandbox_org, xero_user_session, tenant):
    answer = _allow(xero_user_session, xero_sandbox, sandbox_app, [tenant])
    assert answer.status_code == 400
    assert REFUSED in answer.text
    assert Connection.objects.count() == 0


def test_a_user_with_no_organisation_is_told_how_to_get_one(xero_sandbox, sandbox_app, sandbox_org):
    newcomer = signed_in_session(UserFactory.create(username="newcomer"))
    page = newcomer.get(f"{xero_sandbox}/login/identity/connect/authorize", params=_params(sandbox_app), timeout=T)
    assert page.status_code == 200
    assert "Your Xero user (newcomer) has no organisation, so there is nothing to connect." in page.text
    assert 'python manage.py xero_sandbox create-org --name "My Books Ltd" --user newcomer' in page.text
    assert OFFERED.findall(page.text) == []
    assert "Allow access" not in page.text
    assert "Demo Company (UK)" not in page.text
    cancelled = newcomer.post(
        f"{xero_sandbox}/login/identity/connect/authorize",
        data={**dict(HIDDEN.findall(page.text)), "action": "cancel"},
        allow_redirects=False,
        timeout=T,
    )
    assert parse_qs(urlsplit(cancelled.headers["Location"]).query) == {"error": ["access_denied"], "state": ["st-5"]}


def _tokens(base: str, app, code: str) -> dict:
    answer = requests.post(
        f"{base}/identity/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(app.client_id, app.client_secret),
        timeout=T,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _code(answer: requests.Response) -> str:
    assert answer.status_code == 302, answer.text[:300]
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def test_two_xero_users_of_one_app_reach_only_their_own_organisations(
    xero_sandbox, sandbox_app, sandbox_org, stranger_org, xero_user_session
):
    mine = _tokens(xero_sandbox, sandbox_app, _code(_allow(xero_user_session, xero_sandbox, sandbox_app, [
        str(sandbox_org.tenant_id)])))  # fmt: skip
    someone_else = signed_in_session(UserFactory.create(username="someone-else"))
    theirs = _tokens(xero_sandbox, sandbox_app, _code(_allow(someone_else, xero_sandbox, sandbox_app, [
        str(stranger_org.tenant_id)])))  # fmt: skip

    def bearer(tokens: dict, **headers: str) -> dict:
        return {"Authorization": f"Bearer {tokens['access_token']}", **headers}

    listed = requests.get(f"{xero_sandbox}/api/connections", headers=bearer(mine), timeout=T).json()
    assert [c["tenantName"] for c in listed] == ["Demo Company (UK)"]
    across = requests.get(
        f"{xero_sandbox}/api/api.xro/2.0/Organisation",
        headers=bearer(mine, **{"xero-tenant-id": str(stranger_org.tenant_id)}),
        timeout=T,
    )
    assert (across.status_code, across.json()["Detail"]) == (403, "AuthenticationUnsuccessful")
    # The other user revoking their token set removes only their own connection.
    revoked = requests.post(
        f"{xero_sandbox}/identity/connect/revocation",
        data={"token": theirs["refresh_token"]},
        auth=(sandbox_app.client_id, sandbox_app.client_secret),
        timeout=T,
    )
    assert revoked.status_code == 200
    assert [c.organisation.name for c in Connection.objects.all()] == ["Demo Company (UK)"]

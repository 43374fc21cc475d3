"""App tiers: the day limit Xero reports, one organisation per consent below Advanced, connection caps."""

from __future__ import annotations

import re

import pytest
import requests
from django.contrib.auth import get_user_model
from xero_python.exceptions import RateLimitException

from tests.xero_sandbox.conftest import signed_in_session
from xero_sandbox import testing
from xero_sandbox.models import Connection
from xero_sandbox.services.identity import OAuthError

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
REDIRECT = "http://localhost:9999/xero/callback/"


def _day_remaining(sdk, tenant: str) -> str:
    _, status, headers = sdk.accounting.get_organisations(tenant, _return_http_data_only=False, _request_timeout=T)
    assert status == 200
    return headers["X-DayLimit-Remaining"]


def test_day_limit_remaining_follows_the_app_tier(sdk, sandbox_app, tenant):
    assert _day_remaining(sdk, tenant) == "999"  # Starter: 1,000 calls a day
    testing.app_tier_set(app=sandbox_app, tier="core")
    assert _day_remaining(sdk, tenant) == "4998"  # Core: 5,000, the organisation's count goes on


def test_a_starter_app_is_refused_for_the_day_after_1000_calls(sdk, sandbox_app, tenant):
    testing.limits_day_calls_add(organisation=tenant, calls=998)
    assert _day_remaining(sdk, tenant) == "1"
    assert _day_remaining(sdk, tenant) == "0"  # the 1,000th call of the day is still served
    with pytest.raises(RateLimitException) as refused:
        sdk.accounting.get_currencies(tenant, _request_timeout=T)
    assert refused.value.rate_limit == "day"
    assert refused.value.headers["X-DayLimit-Remaining"] == "0"
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 86_400
    # Moved to Core the same day: 5,000 less the 1,002 calls counted (the sandbox counts the refused one too).
    testing.app_tier_set(app=sandbox_app, tier="core")
    assert _day_remaining(sdk, tenant) == str(5000 - 1002)


def _consent_page(app) -> dict:
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "offline_access accounting.invoices",
        "state": "st-1",
    }


def _allow(base: str, app, tenants: list[str]) -> requests.Response:
    """Allow access as the Xero user `xero-user` (signed in on the site), picking `tenants`."""
    session = signed_in_session(get_user_model().objects.get(username="xero-user"))
    page = session.get(f"{base}/login/identity/connect/authorize", params=_consent_page(app), timeout=T)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    form.update({"action": "allow", "tenant": tenants})
    return session.post(f"{base}/login/identity/connect/authorize", data=form, allow_redirects=False, timeout=T)


def test_starter_consent_page_picks_one_organisation_and_refuses_two(
    xero_sandbox, sandbox_app, sandbox_org, xero_user_session
):
    other = testing.organisation_create(name="Second Books Ltd", users=["xero-user"])
    page = xero_user_session.get(
        f"{xero_sandbox}/login/identity/connect/authorize", params=_consent_page(sandbox_app), timeout=T
    )
    assert re.findall(r'<input type="(\w+)" name="tenant"', page.text) == ["radio", "radio"]
    assert "<legend>Organisation to connect</legend>" in page.text
    answer = _allow(xero_sandbox, sandbox_app, [str(sandbox_org.tenant_id), str(other.tenant_id)])
    assert answer.status_code == 400
    assert (
        "This app can connect one organisation at a time (bulk connections need the Advanced tier; it is on Starter)."
        in answer.text
    )
    assert Connection.objects.count() == 0
    assert _allow(xero_sandbox, sandbox_app, [str(other.tenant_id)]).status_code == 302
    assert [c.organisation.name for c in Connection.objects.all()] == ["Second Books Ltd"]


@pytest.mark.parametrize("tier", ["core", "plus"])
def test_core_and_plus_apps_also_connect_one_organisation_per_consent(xero_sandbox, sandbox_org, tier):
    other = testing.organisation_create(name="Second Books Ltd", users=["xero-user"])
    app = testing.app_create(redirect_uri=REDIRECT, tier=tier)
    answer = _allow(xero_sandbox, app, [str(sandbox_org.tenant_id), str(other.tenant_id)])
    assert answer.status_code == 400
    assert Connection.objects.count() == 0


def test_advanced_app_connects_several_organisations_in_one_consent(xero_sandbox, sandbox_org, xero_user_session):
    other = testing.organisation_create(name="Second Books Ltd", users=["xero-user"])
    app = testing.app_create(redirect_uri=REDIRECT, tier="advanced")
    page = xero_user_session.get(
        f"{xero_sandbox}/login/identity/connect/authorize", params=_consent_page(app), timeout=T
    )
    assert re.findall(r'<input type="(\w+)" name="tenant"', page.text) == ["checkbox", "checkbox"]
    assert _allow(xero_sandbox, app, [str(sandbox_org.tenant_id), str(other.tenant_id)]).status_code == 302
    assert sorted(c.organisation.name for c in Connection.objects.all()) == ["Demo Company (UK)", "Second Books Ltd"]
    assert len({c.auth_event_id for c in Connection.objects.all()}) == 1


def test_starter_app_stops_at_five_connected_organisations(xero_sandbox, sandbox_app, xero_user):
    organisations = [testing.organisation_create(name=f"Books {n}", users=[xero_user]) for n in range(6)]
    for organisation in organisations[:5]:
        testing.token_issue(app=sandbox_app, organisations=[organisation])
    # Reconnecting one already connected is no new connection.
    testing.token_issue(app=sandbox_app, organisations=[organisations[0]])
    with pytest.raises(OAuthError, match=r"reached its limit of 5 connected organisations \(Starter tier\)"):
        testing.token_issue(app=sandbox_app, organisations=[organisations[5]])
    answer = _allow(xero_sandbox, sandbox_app, [str(organisations[5].tenant_id)])
    assert answer.status_code == 400
    assert "This app has reached its limit of 5 connected organisations (Starter tier)." in answer.text
    assert Connection.objects.filter(organisation=organisations[5]).count() == 0
    testing.app_tier_set(app=sandbox_app, tier="core")
    assert _allow(xero_sandbox, sandbox_app, [str(organisations[5].tenant_id)]).status_code == 302
    assert Connection.objects.filter(app=sandbox_app).count() == 6

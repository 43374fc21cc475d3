"""Refresh rotation with reuse grace, revocation, and the API's 401/403 answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from xero_python.api_client.oauth2 import TokenApi
from xero_python.exceptions import HTTPStatusException

from xero_sandbox import testing
from xero_sandbox.models import Connection, RefreshToken

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _refresh(base, app, refresh_token):
    return requests.post(
        f"{base}/identity/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )


def test_sdk_refresh_rotates_the_pair_and_the_old_token_is_spent(sdk, xero_sandbox, sandbox_app, tenant, monkeypatch):
    monkeypatch.setattr(TokenApi, "refresh_token_url", f"{xero_sandbox}/identity/connect/token")
    old = dict(sdk.token)
    new = sdk.client.refresh_oauth2_token()
    assert new["refresh_token"] != old["refresh_token"]
    assert new["access_token"] != old["access_token"]
    assert sdk.token["refresh_token"] == new["refresh_token"]
    # The new access token works.
    assert sdk.accounting.get_organisations(tenant, _request_timeout=20).organisations[0].name == "Demo Company (UK)"
    assert RefreshToken.objects.filter(spent_at__isnull=False).count() == 1


def test_reusing_a_spent_refresh_token_within_30_minutes_returns_the_same_new_pair(
    xero_sandbox, sandbox_app, sandbox_org
):
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org])
    first = _refresh(xero_sandbox, sandbox_app, token["refresh_token"])
    again = _refresh(xero_sandbox, sandbox_app, token["refresh_token"])
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()


def test_reusing_a_spent_refresh_token_after_the_grace_is_invalid_grant(xero_sandbox, sandbox_app, sandbox_org):
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org])
    assert _refresh(xero_sandbox, sandbox_app, token["refresh_token"]).status_code == 200
    RefreshToken.objects.filter(spent_at__isnull=False).update(spent_at=timezone.now() - timedelta(minutes=31))
    late = _refresh(xero_sandbox, sandbox_app, token["refresh_token"])
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})


def test_refresh_token_unused_for_60_days_is_invalid_grant(xero_sandbox, sandbox_app, sandbox_org):
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org])
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = _refresh(xero_sandbox, sandbox_app, token["refresh_token"])
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})


def test_revocation_removes_the_users_connections_and_kills_the_refresh_token(
    sdk, xero_sandbox, sandbox_app, tenant, monkeypatch
):
    monkeypatch.setattr(TokenApi, "revoke_token_url", f"{xero_sandbox}/identity/connect/revocation")
    before = dict(sdk.token)
    assert Connection.objects.count() == 1
    sdk.client.revoke_oauth2_token()
    assert Connection.objects.count() == 0
    answer = requests.get(
        f"{xero_sandbox}/api/api.xro/2.0/Organisation",
        headers={"Authorization": f"Bearer {before['access_token']}", "xero-tenant-id": tenant},
        timeout=10,
    )
    assert (answer.status_code, answer.json()["Detail"]) == (403, "AuthenticationUnsuccessful")
    assert _refresh(xero_sandbox, sandbox_app, before["refresh_token"]).json() == {"error": "invalid_grant"}


def test_connection_delete_disconnects_one_organisation(sdk, xero_sandbox, tenant):
    connection = sdk.identity.get_connections(_request_timeout=20)[0]
    sdk.identity.delete_connection(connection.id, _request_timeout=20)
    assert sdk.identity.get_connections(_request_timeout=20) == []
    with pytest.raises(HTTPStatusException) as refused:
        sdk.accounting.get_organisations(tenant, _request_timeout=20)
    assert refused.value.status == 403


def test_expired_access_token_answers_401_token_expired(xero_sandbox, sandbox_app, sandbox_org, tenant):
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org], expires_in=-5)
    answer = requests.get(
        f"{xero_sandbox}/api/api.xro/2.0/Organisation",
        headers={"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": tenant},
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.json()["Detail"].startswith("TokenExpired: token expired at ")


def test_unauthorised_or_missing_tenant_answers_403_authentication_unsuccessful(xero_sandbox, sandbox_app, sandbox_org):
    stranger = testing.organisation_create(name="Not Connected Ltd")
    token = testing.token_issue(app=sandbox_app, organisations=[sandbox_org])
    for tenant in (str(stranger.tenant_id), "", "not-a-guid"):
        answer = requests.get(
            f"{xero_sandbox}/api/api.xro/2.0/Invoices",
            headers={"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": tenant},
            timeout=10,
        )
        assert answer.status_code == 403
        assert answer.json()["Detail"] == "AuthenticationUnsuccessful"


def test_token_without_the_contacts_scope_cannot_read_contacts(xero_sandbox, sandbox_app, sandbox_org, tenant):
    token = testing.token_issue(
        app=sandbox_app, organisations=[sandbox_org], scopes=["offline_access", "accounting.invoices"]
    )
    answer = requests.get(
        f"{xero_sandbox}/api/api.xro/2.0/Contacts",
        headers={"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": tenant},
        timeout=10,
    )
    assert (answer.status_code, answer.json()["Detail"]) == (401, "AuthorizationUnsuccessful")

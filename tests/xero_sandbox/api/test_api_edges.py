"""Bad input gets Xero's clear answer and changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from xero_sandbox import testing
from xero_sandbox.models import AuthorizationCode, Connection, Invoice

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
REDIRECT = "http://localhost:9999/xero/callback/"


def _api(sdk, base, tenant, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": tenant}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, f"{base}/api/api.xro/2.0{path}", headers=headers, timeout=T, **kwargs)


def test_malformed_json_is_a_400_post_data_invalid(sdk, xero_sandbox, tenant):
    answer = _api(
        sdk, xero_sandbox, tenant, "PUT", "/Invoices", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "ErrorNumber": 14,
        "Type": "PostDataInvalidException",
        "Message": "JSON for post data was invalid.",
    }
    assert Invoice.objects.count() == 0


def test_unparseable_where_is_a_400_naming_the_problem(sdk, xero_sandbox, tenant):
    answer = _api(sdk, xero_sandbox, tenant, "GET", "/Contacts", params={"where": 'Colour=="red"'})
    assert (answer.status_code, answer.json()["Message"]) == (400, "No property or field 'Colour' exists")


def test_idempotency_key_longer_than_128_characters_is_refused(sdk, xero_sandbox, tenant):
    answer = _api(
        sdk,
        xero_sandbox,
        tenant,
        "PUT",
        "/Contacts",
        json={"Contacts": [{"Name": "Jane"}]},
        headers={"Idempotency-Key": "k" * 129},
    )
    assert (answer.status_code, answer.json()["Message"]) == (400, "Idempotency-Key must be at most 128 characters.")
    assert testing.contacts(organisation=tenant) == []


def test_unsupported_method_is_405_and_deletes_nothing(sdk, xero_sandbox, tenant):
    answer = _api(sdk, xero_sandbox, tenant, "DELETE", "/Contacts", json={"Contacts": [{"Name": "Jane"}]})
    assert answer.status_code == 405
    assert testing.contacts(organisation=tenant) == []


def test_consent_without_an_organisation_stays_on_the_page_with_a_message(
    xero_sandbox, sandbox_app, sandbox_org, xero_user_session
):
    session = xero_user_session
    params = {
        "response_type": "code",
        "client_id": sandbox_app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "offline_access accounting.invoices",
        "state": "s",
    }
    page = session.get(f"{xero_sandbox}/login/identity/connect/authorize", params=params, timeout=T)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    answer = session.post(
        f"{xero_sandbox}/login/identity/connect/authorize",
        data={**form, "action": "allow"},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=T,
    )
    assert answer.status_code == 400
    assert "Pick at least one organisation" in answer.text
    assert Connection.objects.count() == 0


def test_an_expired_authorization_code_is_invalid_grant(xero_sandbox, sandbox_app, sandbox_org, xero_user):
    from xero_sandbox.services.identity import authorize_request_check, consent_allow

    request = authorize_request_check(
        params={
            "client_id": sandbox_app.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "offline_access accounting.invoices",
        }
    )
    code = consent_allow(request=request, tenant_ids=[str(sandbox_org.tenant_id)], user=xero_user)
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = requests.post(
        f"{xero_sandbox}/identity/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(sandbox_app.client_id, sandbox_app.client_secret),
        timeout=T,
    )
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant"})

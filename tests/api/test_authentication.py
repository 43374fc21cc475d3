"""The Billing API answers only to a live key of an organization, sent as a Bearer token."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from organizations.api_keys import api_key_revoke
from organizations.models import ApiKey

pytestmark = pytest.mark.django_db

STORES = "/api/v1/stores/"


def _get(authorization: str | None):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(STORES)


def test_missing_key_answers_401_with_bearer_challenge(store):
    response = _get(None)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        ("Bearer cp_" + "x" * 43, "Invalid or revoked API key."),
        ("Bearer not-a-portal-key", "Invalid or revoked API key."),
        ("Bearer ", "Send the API key as 'Authorization: Bearer <key>'."),
        ("Basic dXNlcjpwYXNz", "Send the API key as 'Authorization: Bearer <key>'."),
        ("Bearer cp_a cp_b", "Send the API key as 'Authorization: Bearer <key>'."),
    ],
)
def test_wrong_key_answers_401(store, authorization, detail):
    response = _get(authorization)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_valid_key_answers_with_its_organizations_stores(api, store, other_store):
    response = api.get(STORES)
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["results"]] == ["High Street"]


def test_scheme_is_case_insensitive(raw_key, store):
    assert _get(f"bearer {raw_key}").status_code == 200


def test_revoked_key_answers_401(api, raw_key, store):
    assert api.get(STORES).status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(name="Shop connector"))
    response = api.get(STORES)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key."}


def test_portal_session_does_not_open_the_api(member_client, store):
    response = member_client.get(STORES)
    assert response.status_code == 401


def test_use_is_recorded_after_commit_at_most_once_a_minute(api, store, django_capture_on_commit_callbacks):
    key = ApiKey.objects.get(name="Shop connector")
    assert key.last_used_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert api.get(STORES).status_code == 200
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    assert timezone.now() - first_use < datetime.timedelta(seconds=5)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert api.get(STORES).status_code == 200
    assert callbacks == []  # used seconds ago: no write
    key.refresh_from_db()
    assert key.last_used_at == first_use

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first_use - datetime.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert api.get(STORES).status_code == 200
    key.refresh_from_db()
    assert key.last_used_at > first_use


def test_answers_are_json_even_to_a_browser(store):
    response = APIClient().get(STORES, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert (response.status_code, response["Content-Type"]) == (401, "application/json")

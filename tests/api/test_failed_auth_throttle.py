"""Failed API-key authentications are counted per client address; beyond the rate, 429.

As django-axes does for log-ins: once an address has failed BILLING_API_FAILED_AUTH_RATE times
in the window, every request from it is refused 429 with Retry-After, before its key is looked
up, until the window has passed; other addresses go on as before. Counted in the real cache.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from organizations.api_keys import api_key_create, api_key_revoke
from organizations.models import ApiKey
from stores.models import Product

pytestmark = pytest.mark.django_db

STORES = "/api/v1/stores/"
ATTACKER, NEIGHBOUR, FRESH = "203.0.113.7", "203.0.113.8", "198.51.100.20"
LOCKED = "Too many requests with a wrong or missing API key from this address."


@pytest.fixture(autouse=True)
def fresh_counts():
    """Forget the failures another test (or run) left for these addresses."""
    addresses = [ATTACKER, NEIGHBOUR, FRESH, "127.0.0.1", "192.0.2.1", "192.0.2.2"]
    cache.delete_many([f"billing-api-throttle:failed-auth:{address}" for address in addresses])


def _client(address: str, authorization: str | None = None) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def _wrong(address: str) -> APIClient:
    return _client(address, "Bearer cp_" + "x" * 43)


def test_twenty_failures_of_any_kind_then_429_with_retry_after_before_the_key_is_looked_up(
    organization, raw_key, store, settings
):
    assert settings.BILLING_API_FAILED_AUTH_RATE == "20/min"
    _, revoked_raw = api_key_create(organization=organization, name="Old", created_by=None)
    api_key_revoke(api_key=ApiKey.objects.get(name="Old"))
    failing = [
        _wrong(ATTACKER),  # a key that does not exist
        _client(ATTACKER, f"Bearer {revoked_raw}"),  # a revoked key
        _client(ATTACKER, "Basic dXNlcjpwYXNz"),  # malformed
        _client(ATTACKER),  # no key at all
    ]
    answers = [failing[n % 4].get(STORES) for n in range(20)]
    assert [answer.status_code for answer in answers] == [401] * 20

    with CaptureQueriesContext(connection) as queries:
        refused = _wrong(ATTACKER).post(f"/api/v1/stores/{store.pk}/products/", {"sku": "T", "name": "Tea"})
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    assert refused.json() == {"detail": f"{LOCKED} Expected available in {wait} seconds."}
    assert [query["sql"] for query in queries if "organizations_apikey" in query["sql"]] == []  # not looked up
    assert not Product.objects.exists()


def test_a_locked_address_is_refused_even_with_a_valid_key_and_others_are_not(raw_key, store, settings):
    settings.BILLING_API_FAILED_AUTH_RATE = "3/min"
    assert [_wrong(ATTACKER).get(STORES).status_code for _ in range(4)] == [401, 401, 401, 429]

    locked = _client(ATTACKER, f"Bearer {raw_key}").get(STORES)
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith(LOCKED)
    # Another address: its own count (a wrong key is still a plain 401), and a valid key works.
    assert _wrong(NEIGHBOUR).get(STORES).status_code == 401
    fresh = _client(FRESH, f"Bearer {raw_key}").get(STORES)
    assert fresh.status_code == 200
    assert [s["name"] for s in fresh.json()["results"]] == ["High Street"]


def test_successful_requests_are_not_counted(raw_key, store, settings):
    settings.BILLING_API_FAILED_AUTH_RATE = "3/min"
    good = _client(ATTACKER, f"Bearer {raw_key}")
    assert [good.get(STORES).status_code for _ in range(5)] == [200] * 5
    assert [_wrong(ATTACKER).get(STORES).status_code for _ in range(4)] == [401, 401, 401, 429]


def test_the_lock_ends_when_the_window_has_passed(raw_key, store, settings):
    settings.BILLING_API_FAILED_AUTH_RATE = "2/s"
    assert [_wrong(ATTACKER).get(STORES).status_code for _ in range(3)] == [401, 401, 429]
    time.sleep(1.1)
    assert _client(ATTACKER, f"Bearer {raw_key}").get(STORES).status_code == 200


def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(raw_key, store, settings):
    """Production: REMOTE_ADDR is the proxy; the client is what the proxy appended to X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.BILLING_API_FAILED_AUTH_RATE = "2/min"
    # A client cannot pick its address: what it sends itself is left of the proxy's entry.
    spoofing = [_wrong("10.0.0.1") for _ in range(3)]
    codes = [
        client.get(STORES, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.1").status_code
        for n, client in enumerate(spoofing)
    ]
    assert codes == [401, 401, 429]
    other = _client("10.0.0.1", f"Bearer {raw_key}").get(STORES, HTTP_X_FORWARDED_FOR="192.0.2.2")
    assert other.status_code == 200


def test_an_empty_rate_means_no_limit(store, settings):
    settings.BILLING_API_FAILED_AUTH_RATE = ""
    assert [_wrong(ATTACKER).get(STORES).status_code for _ in range(25)] == [401] * 25

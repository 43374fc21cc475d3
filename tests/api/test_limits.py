"""Billing API limits: request rates per key and per organization, body size, lines per invoice.

Each limit answers a clear 4xx and saves nothing. Rates are counted in the real cache
(Redis when it answers), as in production where every web process shares them.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from organizations.api_keys import api_key_create
from organizations.models import ApiKey
from stores.models import Invoice, Product
from tests.api.test_invoices import _payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters(organization):
    """Forget counts another run left for the same ids (test databases reuse primary keys)."""
    keys = [f"billing-api-throttle:key:{pk}" for pk in range(1, 200)]
    cache.delete_many([*keys, f"billing-api-throttle:organization:{organization.pk}"])


def _client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def _retry_after(response) -> int:
    return int(response["Retry-After"])


def test_a_key_over_its_rate_gets_429_with_retry_after_and_nothing_is_saved(api, store, settings):
    settings.BILLING_API_KEY_RATE = "3/min"
    assert [api.get("/api/v1/stores/").status_code for _ in range(3)] == [200, 200, 200]
    response = api.post(f"/api/v1/stores/{store.pk}/products/", {"sku": "T-1", "name": "Tea"}, format="json")
    assert response.status_code == 429
    wait = _retry_after(response)
    assert 1 <= wait <= 60
    assert response.json() == {"detail": f"Request was throttled. Expected available in {wait} seconds."}
    assert not Product.objects.filter(store=store).exists()


def test_another_key_of_the_organization_has_its_own_key_count_but_shares_the_organizations(
    organization, raw_key, api, settings
):
    settings.BILLING_API_KEY_RATE = "2/min"
    settings.BILLING_API_ORGANIZATION_RATE = "3/min"
    _, second_raw = api_key_create(organization=organization, name="Second", created_by=None)
    second = _client(second_raw)
    assert [api.get("/api/v1/stores/").status_code for _ in range(3)] == [200, 200, 429]  # key: 2 a minute
    assert second.get("/api/v1/stores/").status_code == 200  # the organization's 3rd
    assert second.get("/api/v1/stores/").status_code == 429  # the organization's limit, not the key's
    assert list(ApiKey.objects.filter(organization=organization).values_list("name", flat=True)) == [
        "Second",
        "Shop connector",
    ]


def test_one_organization_at_its_limit_does_not_slow_another(api, settings, other_organization):
    settings.BILLING_API_ORGANIZATION_RATE = "2/min"
    cache.delete(f"billing-api-throttle:organization:{other_organization.pk}")
    _, other_raw = api_key_create(organization=other_organization, name="Theirs", created_by=None)
    assert [api.get("/api/v1/stores/").status_code for _ in range(3)] == [200, 200, 429]
    assert _client(other_raw).get("/api/v1/stores/").status_code == 200


def test_an_invoice_with_too_many_lines_answers_400_and_is_not_saved(api, store, settings):
    settings.BILLING_API_MAX_INVOICE_LINES = 3
    line = {"description": "Tea", "quantity": "1", "unit_price": "2.50"}
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", _payload(lines=[line] * 4), format="json")
    assert response.status_code == 400
    assert response.json() == {"lines": ["An invoice has at most 3 lines; this one has 4."]}
    assert not Invoice.objects.exists()
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", _payload(lines=[line] * 3), format="json")
    assert response.status_code == 201
    assert len(response.json()["lines"]) == 3


def test_a_patch_cannot_grow_an_invoice_past_the_line_cap(api, store, settings):
    settings.BILLING_API_MAX_INVOICE_LINES = 2
    created = api.post(f"/api/v1/stores/{store.pk}/invoices/", _payload(), format="json").json()
    line = {"description": "Tea", "quantity": "1", "unit_price": "2.50"}
    response = api.patch(f"/api/v1/invoices/{created['id']}/", {"lines": [line] * 3}, format="json")
    assert response.status_code == 400
    assert response.json() == {"lines": ["An invoice has at most 2 lines; this one has 3."]}
    assert Invoice.objects.get(pk=created["id"]).lines.count() == 2


def test_a_body_over_the_cap_answers_413_and_is_not_saved(api, store, settings):
    settings.BILLING_API_MAX_BODY_BYTES = 2000
    big = _payload(customer_name="x" * 1900)
    body = json.dumps(big)
    assert len(body.encode()) > 2000
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than the 2000 bytes the Billing API accepts."}
    assert not Invoice.objects.exists()
    small = json.dumps(_payload())
    assert len(small.encode()) <= 2000
    assert api.post(f"/api/v1/stores/{store.pk}/invoices/", small, content_type="application/json").status_code == 201


def test_the_default_limits_are_generous_and_documented(settings):
    assert (settings.BILLING_API_KEY_RATE, settings.BILLING_API_ORGANIZATION_RATE) == ("600/min", "1200/min")
    assert (settings.BILLING_API_MAX_BODY_BYTES, settings.BILLING_API_MAX_INVOICE_LINES) == (262144, 200)


def test_an_empty_rate_setting_means_no_limit(api, settings):
    settings.BILLING_API_KEY_RATE = ""
    settings.BILLING_API_ORGANIZATION_RATE = "5/min"
    assert [api.get("/api/v1/stores/").status_code for _ in range(6)] == [200] * 5 + [429]


def _nested(depth: int) -> str:
    """A JSON invoice whose `customer_name` is `depth` arrays deep: [[[…]]]."""
    return json.dumps(_payload(customer_name="PLACEHOLDER")).replace('"PLACEHOLDER"', "[" * depth + "]" * depth)


def test_a_body_nested_too_deep_answers_400_saves_nothing_and_logs_no_traceback(api, store, caplog):
    body = _nested(1000)
    assert len(body.encode()) < 6000  # small: under every byte cap
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", body, content_type="application/json")
    assert response.status_code == 400
    detail = "The JSON body is nested 1001 levels deep; the Billing API accepts at most 32."
    assert response.json() == {"detail": detail}
    assert not Invoice.objects.exists()
    # Scanned as decoded text, whatever the charset the parser reads it in.
    utf16 = api.post(
        f"/api/v1/stores/{store.pk}/invoices/", body.encode("utf-16"), content_type="application/json; charset=utf-16"
    )
    assert (utf16.status_code, utf16.json()) == (400, response.json())
    assert not Invoice.objects.exists()
    assert [record for record in caplog.records if record.exc_info] == []
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


def test_the_depth_cap_is_a_setting_and_an_invoice_is_three_levels_deep(api, store, settings):
    assert settings.BILLING_API_MAX_JSON_DEPTH == 32
    settings.BILLING_API_MAX_JSON_DEPTH = 2
    url = f"/api/v1/stores/{store.pk}/invoices/"
    response = api.post(url, _payload(), format="json")  # {…, "lines": [{…}]}
    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON body is nested 3 levels deep; the Billing API accepts at most 2."}
    assert not Invoice.objects.exists()
    settings.BILLING_API_MAX_JSON_DEPTH = 3
    assert api.post(url, _payload(), format="json").status_code == 201


def test_brackets_inside_strings_nest_nothing(api, store, settings):
    settings.BILLING_API_MAX_JSON_DEPTH = 3
    name = '[[[{{{ "quoted [ ]" \\ ' * 5 + "end"
    response = api.post(f"/api/v1/stores/{store.pk}/invoices/", _payload(customer_name=name), format="json")
    assert response.status_code == 201
    assert Invoice.objects.get().customer_name == name

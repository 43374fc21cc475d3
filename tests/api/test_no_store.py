"""Billing API answers carry customers' personal data: every one says `Cache-Control: no-store`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.test_invoices import _payload

pytestmark = pytest.mark.django_db


def test_invoice_create_list_and_detail_say_no_store(api, store):
    created = api.post(f"/api/v1/stores/{store.pk}/invoices/", _payload(), format="json")
    assert created.status_code == 201
    listed = api.get(f"/api/v1/stores/{store.pk}/invoices/")
    assert listed.status_code == 200
    assert listed.json()["results"][0]["customer_email"] == "ada@example.com"
    detail = api.get(f"/api/v1/invoices/{created.json()['id']}/")
    assert (detail.status_code, detail.json()["customer_name"]) == (200, "Ada Lovelace")
    assert [answer.get("Cache-Control") for answer in (created, listed, detail)] == ["no-store"] * 3


def test_error_answers_say_no_store(api, store):
    invoice_id = api.post(f"/api/v1/stores/{store.pk}/invoices/", _payload(), format="json").json()["id"]
    refused = api.patch(f"/api/v1/invoices/{invoice_id}/", {"customer_email": "not an e-mail"}, format="json")
    assert refused.status_code == 400
    unauthenticated = APIClient().get(f"/api/v1/invoices/{invoice_id}/")
    assert unauthenticated.status_code == 401
    no_route = api.get("/api/v1/invoices/-1/")  # no route takes it: the URLconf's JSON 404
    assert (no_route.status_code, no_route.json()) == (404, {"detail": "Not found."})
    answers = (refused, unauthenticated, no_route)
    assert [answer.get("Cache-Control") for answer in answers] == ["no-store"] * 3

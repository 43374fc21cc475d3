"""Stores and their accounting channels through the Billing API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounting.models import ChannelTaxMapping, ConnectionState
from tests.factories import AccountingChannelFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_list_stores_of_the_keys_organization(api, organization, store, other_store):
    second = StoreFactory.create(organization=organization, name="Airport", platform="woocommerce", currency="EUR")
    response = api.get("/api/v1/stores/")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert [(s["id"], s["name"], s["platform"], s["currency"]) for s in body["results"]] == [
        (second.pk, "Airport", "woocommerce", "EUR"),
        (store.pk, "High Street", "shopify", "GBP"),
    ]


def test_lists_paginate(api, organization):
    for n in range(5):
        StoreFactory.create(organization=organization, name=f"Store {n}")
    first = api.get("/api/v1/stores/?page_size=2").json()
    assert (first["count"], [s["name"] for s in first["results"]]) == (5, ["Store 0", "Store 1"])
    assert first["next"] == "http://testserver/api/v1/stores/?page=2&page_size=2"
    last = api.get("/api/v1/stores/?page_size=2&page=3").json()
    assert ([s["name"] for s in last["results"]], last["next"]) == (["Store 4"], None)
    assert api.get("/api/v1/stores/?page=9").status_code == 404


def test_accounting_channels_show_status_and_never_secrets(api, store):
    connected = AccountingChannelFactory.create(
        store=store,
        name="Xero UK",
        account_nominal_code="200",
        connection_state=ConnectionState.CONNECTED,
        is_active=True,
        tenant_name="Demo Company (UK)",
        client_secret="very-secret-value",
        token_set={"access_token": "access-token-value", "refresh_token": "refresh-token-value"},
    )
    ChannelTaxMapping.objects.create(channel=connected, rate=Decimal("20"), tax_type="OUTPUT2", origin="prefilled")
    ChannelTaxMapping.objects.create(channel=connected, rate=Decimal("0"), tax_type="ZERORATEDOUTPUT", origin="chosen")
    fresh = AccountingChannelFactory.create(store=store, name="Xero Spare")
    AccountingChannelFactory.create(store=StoreFactory.create(organization=store.organization), name="Other store's")

    response = api.get(f"/api/v1/stores/{store.pk}/accounting-channels/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": fresh.pk,
            "name": "Xero Spare",
            "provider": "xero",
            "account_nominal_code": "",
            "status": {
                "connection_state": "not_connected",
                "connection_state_display": "Not connected",
                "is_active": False,
            },
            "xero_organisation_name": None,
            "tax_mapping": [],
        },
        {
            "id": connected.pk,
            "name": "Xero UK",
            "provider": "xero",
            "account_nominal_code": "200",
            "status": {
                "connection_state": "connected",
                "connection_state_display": "Connected",
                "is_active": True,
            },
            "xero_organisation_name": "Demo Company (UK)",
            "tax_mapping": [
                {"rate": "0.00", "line_kind": "goods", "xero_tax_type": "ZERORATEDOUTPUT", "origin": "chosen"},
                {"rate": "20.00", "line_kind": "goods", "xero_tax_type": "OUTPUT2", "origin": "prefilled"},
            ],
        },
    ]
    text = response.content.decode()
    for secret in ("very-secret-value", "access-token-value", "refresh-token-value", "client_secret", "token"):
        assert secret not in text

"""Fixtures of the Billing API tests: a key of `organization`, a client sending it, stores."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from organizations.api_keys import api_key_create
from tests.factories import OrganizationFactory, StoreFactory


@pytest.fixture
def raw_key(organization):
    """The raw value of an active API key of `organization`."""
    _, raw = api_key_create(organization=organization, name="Shop connector", created_by=None)
    return raw


@pytest.fixture
def api(raw_key):
    """An API client authenticated with `organization`'s key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def other_organization(db):
    return OrganizationFactory.create(name="Rival Trading")


@pytest.fixture
def other_store(other_organization):
    return StoreFactory.create(organization=other_organization, name="Rival Store", currency="EUR")

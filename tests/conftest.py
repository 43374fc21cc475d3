"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, with the reason shown, tests that need a service this machine lacks."""
    missing = getattr(settings, "SERVICES_MISSING", [])
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"needs {', '.join(missing)} (set REQUIRE_SERVICES=1 to fail instead)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Retail")


@pytest.fixture
def member(db, organization):
    """A user who is an operator of `organization`."""
    return MembershipFactory(organization=organization, user=UserFactory(username="operator")).user


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def outsider_client(client, db):
    """A logged-in member of another organization (must see 404 on everything of `organization`)."""
    outsider = MembershipFactory(
        organization=OrganizationFactory(name="Other Org"), user=UserFactory(username="outsider")
    ).user
    client.force_login(outsider)
    return client

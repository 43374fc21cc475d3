"""A user in several organizations switches between them in the header."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organizations.middleware import SESSION_KEY
from organizations.views import NOT_A_MEMBER_OF_THAT, now_working_in_message
from tests.factories import MembershipFactory, OrganizationFactory, StoreFactory, UserFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs_client(client):
    user = UserFactory.create(username="multi")
    alpha = MembershipFactory.create(user=user, organization=OrganizationFactory.create(name="Alpha Ltd")).organization
    beta = MembershipFactory.create(user=user, organization=OrganizationFactory.create(name="Beta Ltd")).organization
    StoreFactory.create(organization=alpha, name="Alpha Store")
    StoreFactory.create(organization=beta, name="Beta Store")
    client.force_login(user)
    return client, alpha, beta


def _store_names(client) -> list[str]:
    return [s.name for s in client.get(reverse("stores:list")).context["stores"]]


def test_the_first_organization_by_name_is_current_at_first(two_orgs_client):
    client, alpha, beta = two_orgs_client
    html = client.get(reverse("stores:list")).content.decode()
    assert f'<option value="{alpha.pk}" selected>Alpha Ltd</option>' in html
    assert f'<option value="{beta.pk}">Beta Ltd</option>' in html
    assert _store_names(client) == ["Alpha Store"]


def test_switching_shows_the_other_organizations_stores(two_orgs_client):
    client, _alpha, beta = two_orgs_client
    response = client.post(reverse("organizations:switch"), {"organization": beta.pk}, follow=True)
    assert messages_of(response) == [now_working_in_message(organization_name="Beta Ltd")]
    assert _store_names(client) == ["Beta Store"]
    assert client.session[SESSION_KEY] == beta.pk


@pytest.mark.parametrize("value", ["not-a-number", "", "²", "-1"])
def test_switching_to_garbage_changes_nothing(two_orgs_client, value):
    client, _alpha, _ = two_orgs_client
    response = client.post(reverse("organizations:switch"), {"organization": value}, follow=True)
    assert messages_of(response) == [NOT_A_MEMBER_OF_THAT]
    assert _store_names(client) == ["Alpha Store"]


def test_switching_to_an_organization_one_is_not_in_is_refused(two_orgs_client):
    client, *_ = two_orgs_client
    foreign = OrganizationFactory.create(name="Foreign")
    StoreFactory.create(organization=foreign, name="Foreign Store")
    response = client.post(reverse("organizations:switch"), {"organization": foreign.pk}, follow=True)
    assert messages_of(response) == [NOT_A_MEMBER_OF_THAT]
    assert _store_names(client) == ["Alpha Store"]


def test_losing_membership_of_the_current_organization_falls_back(two_orgs_client):
    client, _alpha, beta = two_orgs_client
    client.post(reverse("organizations:switch"), {"organization": beta.pk})
    beta.memberships.all().delete()
    assert _store_names(client) == ["Alpha Store"]


def test_a_user_without_organization_gets_403_on_store_pages(client):
    client.force_login(UserFactory.create(username="loner"))
    assert client.get(reverse("stores:list")).status_code == 403
    assert client.get(reverse("stores:create")).status_code == 403


def _log_in(client) -> None:
    response = client.post(reverse("login"), {"username": "multi", "password": "correct horse battery staple"})
    assert response.status_code == 302


def test_a_new_log_in_returns_to_the_organization_used_last(two_orgs_client):
    client, _alpha, beta = two_orgs_client
    client.post(reverse("organizations:switch"), {"organization": beta.pk})
    client.post(reverse("logout"))
    _log_in(client)
    assert _store_names(client) == ["Beta Store"]
    # Another browser too: the choice is the user's, not the session's.
    other_browser = Client()
    _log_in(other_browser)
    assert _store_names(other_browser) == ["Beta Store"]

"""The members page: owners and admins manage members; operators cannot reach it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from organizations.decorators import MANAGERS_ONLY
from organizations.models import Membership, Role
from organizations.services import KEEP_AN_OWNER, OWNERS_ONLY_TOUCH_OWNERS, PICK_A_ROLE
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(organization):
    return MembershipFactory.create(
        organization=organization, user=UserFactory.create(username="olivia"), role=Role.OWNER
    )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


def _roles(organization) -> dict[str, str]:
    return dict(Membership.objects.filter(organization=organization).values_list("user__username", "role"))


def test_owner_sees_the_members_and_the_menu_links(owner_client, organization, member):
    response = owner_client.get(reverse("organizations:members"))
    assert [m.user.username for m in response.context["members"]] == ["olivia", "operator"]
    html = response.content.decode()
    assert f'href="{reverse("organizations:members")}"' in html
    assert f'href="{reverse("organizations:api-keys")}"' in html


@pytest.mark.parametrize(
    "url",
    [
        reverse("organizations:members"),
        reverse("organizations:member-role", args=[1]),
        reverse("organizations:member-remove", args=[1]),
    ],
)
def test_operators_get_403_and_no_menu_link(member_client, url):
    response = member_client.post(url, {"identifier": "x", "role": "owner"})
    assert response.status_code == 403
    assert response.context["exception"] == MANAGERS_ONLY
    stores_page = member_client.get(reverse("stores:list")).content.decode()
    assert reverse("organizations:members") not in stores_page
    assert reverse("organizations:api-keys") not in stores_page


def test_the_members_page_invites_rather_than_adds(owner_client, organization):
    html = owner_client.get(reverse("organizations:members")).content.decode()
    assert f'<form method="post" action="{reverse("organizations:invitations")}"' in html
    assert ">Send invitation</button>" in html
    # Nobody is added directly any more: a POST to the members page changes nothing.
    UserFactory.create(username="newbie", email="newbie@shop.example")
    response = owner_client.post(reverse("organizations:members"), {"identifier": "newbie", "role": "admin"})
    assert response.status_code == 405
    assert _roles(organization) == {"olivia": "owner"}


def test_change_a_role(owner_client, organization, member):
    membership = Membership.objects.get(user=member)
    response = owner_client.post(reverse("organizations:member-role", args=[membership.pk]), {"role": "admin"})
    assert response.status_code == 302
    assert _roles(organization)["operator"] == "admin"


def test_the_last_owner_cannot_step_down_or_leave(owner_client, owner, organization):
    owner_client.post(reverse("organizations:member-role", args=[owner.pk]), {"role": "operator"})
    response = owner_client.post(reverse("organizations:member-remove", args=[owner.pk]), follow=True)
    assert messages_of(response) == [KEEP_AN_OWNER, KEEP_AN_OWNER]  # stepping down, then leaving
    assert _roles(organization) == {"olivia": "owner"}


def test_unknown_role_is_refused(owner_client, organization, member):
    membership = Membership.objects.get(user=member)
    response = owner_client.post(
        reverse("organizations:member-role", args=[membership.pk]), {"role": "god"}, follow=True
    )
    assert messages_of(response) == [PICK_A_ROLE]
    assert _roles(organization)["operator"] == "operator"


def test_remove_a_member_keeps_their_account(owner_client, organization, member):
    membership = Membership.objects.get(user=member)
    owner_client.post(reverse("organizations:member-remove", args=[membership.pk]))
    assert _roles(organization) == {"olivia": "owner"}
    assert member.__class__.objects.filter(username="operator").exists()


def test_another_organizations_membership_answers_404(owner_client):
    theirs = MembershipFactory.create(organization=OrganizationFactory.create(), role=Role.OPERATOR)
    for name in ("organizations:member-role", "organizations:member-remove"):
        assert owner_client.post(reverse(name, args=[theirs.pk]), {"role": "admin"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == "operator"


def test_an_admin_cannot_demote_or_remove_an_owner(client, organization, owner):
    admin = MembershipFactory.create(
        organization=organization, role=Role.ADMIN, user=UserFactory.create(username="adam")
    )
    MembershipFactory.create(organization=organization, role=Role.OWNER, user=UserFactory.create(username="otto"))
    client.force_login(admin.user)
    response = client.post(reverse("organizations:member-role", args=[owner.pk]), {"role": "operator"}, follow=True)
    assert messages_of(response) == [OWNERS_ONLY_TOUCH_OWNERS]
    response = client.post(reverse("organizations:member-remove", args=[owner.pk]), follow=True)
    assert messages_of(response) == [OWNERS_ONLY_TOUCH_OWNERS]
    assert _roles(organization) == {"olivia": "owner", "adam": "admin", "otto": "owner"}


def test_an_admin_manages_operators_and_admins(client, organization, member):
    admin = MembershipFactory.create(
        organization=organization, role=Role.ADMIN, user=UserFactory.create(username="adam")
    )
    client.force_login(admin.user)
    operator = Membership.objects.get(user=member)
    client.post(reverse("organizations:member-role", args=[operator.pk]), {"role": "admin"})
    assert _roles(organization)["operator"] == "admin"
    client.post(reverse("organizations:member-remove", args=[operator.pk]))
    assert "operator" not in _roles(organization)

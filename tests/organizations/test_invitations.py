"""Members join by invitation: owners and admins invite an address, its owner accepts from the e-mail.

The link is read from the e-mail the portal sent (Django's mail outbox), as the invitee would.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from organizations.invitations import INVITATION_ALREADY_ACCEPTED, invitation_other_address_message
from organizations.middleware import SESSION_KEY
from organizations.models import Invitation, Membership, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
INVITATIONS = reverse("organizations:invitations")
ACCEPT = reverse("organizations:invitation-accept")


@pytest.fixture
def owner(organization):
    return MembershipFactory.create(
        organization=organization, user=UserFactory.create(username="olivia"), role=Role.OWNER
    )


@pytest.fixture
def invite(client, owner, django_capture_on_commit_callbacks):
    """Invite an address as the owner; return the path of the link the e-mail carries."""

    def invite(email: str, role: str = "operator", *, by=owner):
        client.force_login(by.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(INVITATIONS, {"email": email, "role": role}, follow=True)
        client.logout()
        assert response.status_code == 200, response.content.decode()
        link = re.search(r"^http://127\.0\.0\.1:8000(/organizations/invitations/accept/\?token=[\w-]+)$",
                         str(mail.outbox[-1].body), re.MULTILINE)  # fmt: skip
        assert link is not None, mail.outbox[-1].body
        return link.group(1)

    return invite


def _members(organization) -> dict[str, str]:
    return dict(Membership.objects.filter(organization=organization).values_list("user__username", "role"))


def test_the_answer_and_the_e_mail_are_the_same_whether_or_not_the_address_has_an_account(
    client, owner, django_capture_on_commit_callbacks
):
    UserFactory.create(username="known", email="known@shop.example")
    client.force_login(owner.user)
    answers = []
    for email in ("known@shop.example", "nobody@shop.example"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(INVITATIONS, {"email": email, "role": "admin"}, follow=True)
        answers.append((response.status_code, [m.replace(email, "ADDRESS") for m in messages_of(response)]))
    assert (
        answers[0]
        == answers[1]
        == (
            200,
            ["Invitation sent to ADDRESS as Admin. The link in it works for 7 days."],
        )
    )
    bodies = [re.sub(r"token=[\w-]+", "token=T", str(m.body)) for m in mail.outbox]
    assert [m.to for m in mail.outbox] == [["known@shop.example"], ["nobody@shop.example"]]
    assert bodies[0] == bodies[1]
    assert mail.outbox[0].subject == "Join Acme Retail on Channels Portal"
    assert "olivia invites you to join Acme Retail on Channels Portal as Admin." in bodies[0]
    assert _members(owner.organization) == {"olivia": "owner"}  # nobody joins before accepting


def test_an_invitee_with_an_account_logs_in_from_the_link_and_accepts(client, owner, invite):
    UserFactory.create(username="nina", email="Nina@Shop.example")
    link = invite("nina@shop.example", "admin")
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "olivia invites <strong>nina@shop.example</strong> to join" in html
    login_url = page.context["login_url"]
    assert "Log in to accept" in html and login_url in html.replace("&amp;", "&")
    back = client.post(login_url, {"username": "nina", "password": PASSWORD})
    assert back["Location"] == link
    response = client.post(ACCEPT, {"token": link.split("token=")[1], "action": "accept"}, follow=True)
    assert messages_of(response) == ["Welcome to Acme Retail: you are a member as Admin."]
    assert response.redirect_chain == [(reverse("stores:list"), 302)]
    assert _members(owner.organization) == {"olivia": "owner", "nina": "admin"}
    assert client.session[SESSION_KEY] == owner.organization_id
    again = client.get(link)
    assert again.status_code == 410
    assert again.context["reason"] == INVITATION_ALREADY_ACCEPTED


def test_a_new_person_creates_the_account_of_the_invited_address_and_joins(client, owner, invite):
    link = invite("sam@shop.example")
    token = link.split("token=")[1]
    data = {"token": token, "action": "sign-up", "username": "sam", "password1": "plum-tractor-88-lantern"}
    weak = client.post(ACCEPT, {**data, "password2": "different-pass-99-x"})
    assert weak.status_code == 400
    assert weak.context["sign_up"].errors == {"password2": ["The two password fields didn’t match."]}
    response = client.post(ACCEPT, {**data, "password2": "plum-tractor-88-lantern"}, follow=True)
    assert messages_of(response) == ["Welcome to Acme Retail: you are a member as Operator."]
    sam = get_user_model().objects.get(username="sam")
    assert (sam.email, sam.check_password("plum-tractor-88-lantern")) == ("sam@shop.example", True)
    assert _members(owner.organization) == {"olivia": "owner", "sam": "operator"}
    assert [s.name for s in response.context["stores"]] == []  # logged in, working in Acme Retail


def test_signing_up_with_an_address_that_has_an_account_is_refused(client, owner, invite):
    UserFactory.create(username="kim", email="kim@shop.example")
    link = invite("kim@shop.example")
    data = {"token": link.split("token=")[1], "action": "sign-up", "username": "kim2"}
    password = "plum-tractor-88-lantern"
    response = client.post(ACCEPT, {**data, "password1": password, "password2": password})
    assert response.status_code == 400
    assert response.context["error"] == "An account already uses kim@shop.example: log in with it to accept."
    assert not get_user_model().objects.filter(username="kim2").exists()
    assert client.get(link).status_code == 200  # the link still works


def test_someone_logged_in_with_another_address_cannot_accept(client, owner, invite):
    link = invite("pat@shop.example")
    client.force_login(UserFactory.create(username="mallory", email="mallory@evil.example"))
    page = client.get(link).content.decode()
    assert "You are logged in as mallory, whose e-mail address is not pat@shop.example." in page
    response = client.post(ACCEPT, {"token": link.split("token=")[1], "action": "accept"})
    assert response.status_code == 400
    assert response.context["error"] == invitation_other_address_message(email="pat@shop.example", username="mallory")
    assert _members(owner.organization) == {"olivia": "owner"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"expires_at": timezone.now() - dt.timedelta(seconds=1)}, "This invitation has expired. Ask for a new one."),
        ({"revoked_at": timezone.now()}, "This invitation was withdrawn. Ask for a new one if you still need access."),
    ],
)
def test_an_expired_or_withdrawn_link_cannot_be_used(client, owner, invite, change, reason):
    UserFactory.create(username="eve", email="eve@shop.example")
    link = invite("eve@shop.example")
    Invitation.objects.update(**change)
    assert client.get(link).status_code == 410
    client.force_login(get_user_model().objects.get(username="eve"))
    response = client.post(ACCEPT, {"token": link.split("token=")[1], "action": "accept"})
    assert response.status_code == 410
    assert response.context["reason"] == reason
    assert _members(owner.organization) == {"olivia": "owner"}


def test_an_unknown_token_is_refused(client):
    response = client.get(f"{ACCEPT}?token=not-a-real-token")
    assert response.status_code == 410
    assert response.context["reason"] == "This invitation link is not valid. Check that it was copied whole."


def test_the_owner_lists_and_withdraws_open_invitations(client, owner, invite):
    first = invite("one@shop.example")
    invite("two@shop.example", "admin")
    client.force_login(owner.user)
    page = client.get(INVITATIONS)
    assert [(i.email, i.role) for i in page.context["invitations"]] == [
        ("two@shop.example", "admin"),
        ("one@shop.example", "operator"),
    ]
    one = Invitation.objects.get(email="one@shop.example")
    response = client.post(reverse("organizations:invitation-revoke", args=[one.pk]), follow=True)
    assert messages_of(response) == ["The invitation to one@shop.example is withdrawn: its link no longer works."]
    assert [i.email for i in response.context["invitations"]] == ["two@shop.example"]
    client.logout()
    assert client.get(first).status_code == 410


def test_inviting_an_address_again_replaces_its_link(client, owner, invite):
    old = invite("rae@shop.example")
    new = invite("rae@shop.example")
    assert old != new
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200
    assert Invitation.objects.filter(email="rae@shop.example", revoked_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"email": "not-an-address", "role": "operator"}, {"email": ["Enter a valid email address."]}),
        (
            {"email": "olivia@example.com", "role": "admin"},
            {"email": ["olivia@example.com is already a member of Acme Retail."]},
        ),
        (
            {"email": "x@shop.example", "role": "god"},
            {"role": ["Select a valid choice. god is not one of the available choices."]},
        ),
    ],
)
def test_a_bad_invitation_explains_and_sends_nothing(client, owner, data, errors):
    client.force_login(owner.user)
    response = client.post(INVITATIONS, data)
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert not Invitation.objects.exists() and mail.outbox == []


def test_an_admin_cannot_invite_or_withdraw_an_owner(client, organization, owner, invite):
    invite("boss@shop.example", "owner")
    admin = MembershipFactory.create(
        organization=organization, role=Role.ADMIN, user=UserFactory.create(username="adam")
    )
    client.force_login(admin.user)
    response = client.post(INVITATIONS, {"email": "boss2@shop.example", "role": "owner"})
    assert response.context["form"].errors == {"__all__": ["Only an owner can grant, change or remove the owner role."]}
    pending = Invitation.objects.get(email="boss@shop.example")
    response = client.post(reverse("organizations:invitation-revoke", args=[pending.pk]), follow=True)
    assert messages_of(response) == ["Only an owner can grant, change or remove the owner role."]
    assert list(Invitation.objects.values_list("email", "revoked_at")) == [("boss@shop.example", None)]


def test_operators_cannot_invite_and_another_organizations_invitation_answers_404(client, member_client, owner, invite):
    theirs = Invitation.objects.create(
        organization=OrganizationFactory.create(name="Rival"),
        email="x@rival.example",
        token_digest="0" * 64,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    assert member_client.post(INVITATIONS, {"email": "a@b.example", "role": "operator"}).status_code == 403
    assert member_client.get(INVITATIONS).status_code == 403
    member_client.force_login(owner.user)
    assert member_client.post(reverse("organizations:invitation-revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_after_joining_a_new_log_in_starts_in_the_organization_joined(client, owner, invite):
    nina = UserFactory.create(username="nina", email="nina@shop.example")
    MembershipFactory.create(user=nina, organization=OrganizationFactory.create(name="Aardvark Ltd"))  # first by name
    link = invite("nina@shop.example")
    client.force_login(nina)
    client.post(ACCEPT, {"token": link.split("token=")[1], "action": "accept"})
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "nina", "password": PASSWORD})
    assert client.get(reverse("stores:list")).context["current_organization"] == owner.organization

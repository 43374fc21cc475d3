"""The API keys page: owners and admins create (shown once, stored hashed), list and revoke keys."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from organizations.api_keys import NAME_REQUIRED, api_key_revoked_message
from organizations.models import ApiKey, Role, hash_api_key
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

PAGE = "/organizations/api-keys/"


@pytest.fixture
def admin_client(client, organization):
    admin = MembershipFactory.create(
        organization=organization, user=UserFactory.create(username="alice"), role=Role.ADMIN
    ).user
    client.force_login(admin)
    return client


def _raw_key_in(html: str) -> str:
    match = re.search(r'id="raw-key" type="text" value="(cp_[A-Za-z0-9_-]+)"', html)
    assert match, html
    return match.group(1)


def test_url_name():
    assert reverse("organizations:api-keys") == PAGE


def test_create_shows_the_key_once_and_stores_only_its_hash(admin_client, organization):
    response = admin_client.post(PAGE, {"name": "Shopify connector"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    raw_key = _raw_key_in(response.content.decode())
    key = ApiKey.objects.get()
    assert key.created_by is not None
    assert (key.organization, key.name, key.created_by.username) == (organization, "Shopify connector", "alice")
    assert key.key_hash == hash_api_key(raw_key)
    assert key.prefix == raw_key[:11]
    stored = " ".join(str(value) for value in ApiKey.objects.values().get().values())
    assert raw_key not in stored
    assert raw_key[11:] not in stored

    listing = admin_client.get(PAGE).content.decode()
    assert raw_key not in listing
    assert f"<code>{key.prefix}…</code>" in listing
    assert "Shopify connector" in listing

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert api.get("/api/v1/stores/").status_code == 200


@pytest.mark.parametrize("name", ["", "   "])
def test_create_without_a_name_shows_the_error_and_creates_nothing(admin_client, name):
    response = admin_client.post(PAGE, {"name": name})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": [NAME_REQUIRED]}
    assert ApiKey.objects.count() == 0


class _TableText(HTMLParser):
    """Collect the text of each cell of each body row of the keys table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag == "td":
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][-1] = " ".join((self.rows[-1][-1] + " " + data).split())


def _rows(html: str) -> list[list[str]]:
    parser = _TableText()
    parser.feed(html)
    return parser.rows


def test_list_shows_prefix_dates_and_status(admin_client, organization):
    admin_client.post(PAGE, {"name": "Used"})
    admin_client.post(PAGE, {"name": "Old"})
    ApiKey.objects.create(
        organization=OrganizationFactory.create(name="Elsewhere"),
        name="Not ours",
        prefix="cp_zzzzzzzz",
        key_hash="0" * 64,
    )
    used, old = ApiKey.objects.get(name="Used"), ApiKey.objects.get(name="Old")
    at = datetime.datetime(2026, 3, 4, 5, 6, tzinfo=datetime.UTC)
    ApiKey.objects.filter(pk=used.pk).update(created_at=at, last_used_at=at + datetime.timedelta(days=1))
    ApiKey.objects.filter(pk=old.pk).update(created_at=at - datetime.timedelta(days=1))
    admin_client.post(reverse("organizations:api-key-revoke", args=[old.pk]))
    old.refresh_from_db()

    rows = _rows(admin_client.get(PAGE).content.decode())

    revoked_on = f"Revoked {old.revoked_at:%-d %b %Y %H:%M}"
    assert rows == [
        ["Used", f"{used.prefix}…", "4 Mar 2026 05:06", "alice", "5 Mar 2026 05:06", "Active", "Revoke"],
        ["Old", f"{old.prefix}…", "3 Mar 2026 05:06", "alice", "Never", revoked_on, ""],
    ]


def test_revoke_makes_the_key_answer_401(admin_client, organization):
    raw_key = _raw_key_in(admin_client.post(PAGE, {"name": "Temp"}).content.decode())
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert api.get("/api/v1/stores/").status_code == 200

    key = ApiKey.objects.get()
    response = admin_client.post(reverse("organizations:api-key-revoke", args=[key.pk]), follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert messages_of(response) == [api_key_revoked_message(name="Temp", prefix=key.prefix)]
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api.get("/api/v1/stores/").status_code == 401


def test_revoking_another_organizations_key_answers_404(admin_client):
    theirs = ApiKey.objects.create(
        organization=OrganizationFactory.create(name="Elsewhere"),
        name="Theirs",
        prefix="cp_zzzzzzzz",
        key_hash="1" * 64,
    )
    response = admin_client.post(reverse("organizations:api-key-revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoke_needs_post(admin_client, organization):
    admin_client.post(PAGE, {"name": "Keep"})
    key = ApiKey.objects.get()
    assert admin_client.get(reverse("organizations:api-key-revoke", args=[key.pk])).status_code == 405
    key.refresh_from_db()
    assert key.revoked_at is None


def test_operators_cannot_manage_keys(member_client, organization):
    key = ApiKey.objects.create(organization=organization, name="Existing", prefix="cp_aaaaaaaa", key_hash="2" * 64)
    assert member_client.get(PAGE).status_code == 403
    assert member_client.post(PAGE, {"name": "Sneaky"}).status_code == 403
    assert member_client.post(reverse("organizations:api-key-revoke", args=[key.pk])).status_code == 403
    assert list(ApiKey.objects.values_list("name", "revoked_at")) == [("Existing", None)]


def test_anonymous_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PAGE}"


def test_owner_of_another_organization_sees_only_its_own_keys(client, organization):
    ApiKey.objects.create(organization=organization, name="Acme key", prefix="cp_aaaaaaaa", key_hash="3" * 64)
    owner = MembershipFactory.create(organization=OrganizationFactory.create(name="Other"), role=Role.OWNER).user
    client.force_login(owner)
    html = client.get(PAGE).content.decode()
    assert "Acme key" not in html
    assert '<td colspan="7" class="empty">No API keys yet.</td>' in html


def test_key_list_query_count_is_constant(admin_client, organization):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(PAGE).status_code == 200
        return len(captured)

    admin_client.post(PAGE, {"name": "First"})
    one = queries_for_page()
    for n in range(10):
        admin_client.post(PAGE, {"name": f"Key {n}"})
    assert queries_for_page() == one

"""The sandbox's own pages (apps with their secrets, request logs, fault knobs) are for staff only.

The consent page is for any signed-in user of the site (the sandbox's Xero user, as login.xero.com
signs its users in first); the API hosts stay open (they take tokens).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from xero_sandbox import testing

pytestmark = pytest.mark.django_db

PAGES = ["xero_sandbox:home", "xero_sandbox:app-new", "xero_sandbox:organisation-new"]


@pytest.fixture
def sandbox_objects(db):
    app = testing.app_create(redirect_uri="http://127.0.0.1:8000/xero/callback/")
    organisation = testing.organisation_create(name="Access Test Ltd")
    return app, organisation


def _urls(app, organisation) -> list[str]:
    tenant = organisation.tenant_id
    return [reverse(name) for name in PAGES] + [
        reverse("xero_sandbox:app-detail", args=[app.client_id]),
        reverse("xero_sandbox:organisation", args=[tenant]),
        reverse("xero_sandbox:request-log", args=[tenant]),
        reverse("xero_sandbox:request-log-export", args=[tenant]),
    ]


def test_anonymous_visitors_are_sent_to_the_staff_login_and_see_no_secret(client, sandbox_objects):
    app, organisation = sandbox_objects
    for url in _urls(app, organisation):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
        assert app.client_secret not in response.content.decode()


def test_a_logged_in_member_who_is_not_staff_is_sent_to_the_staff_login(client, member, sandbox_objects):
    app, organisation = sandbox_objects
    client.force_login(member)
    for url in _urls(app, organisation):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_posts_by_anonymous_visitors_change_nothing(client, sandbox_objects):
    _, organisation = sandbox_objects
    response = client.post(
        reverse("xero_sandbox:organisation", args=[organisation.tenant_id]),
        {"action": "faults", "fault_500_share": "1.0"},
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.fault_500_share == 0.0


def test_staff_users_see_the_pages(client, sandbox_objects):
    app, organisation = sandbox_objects
    client.force_login(UserFactory.create(username="sandbox-staff", is_staff=True))
    for url in _urls(app, organisation):
        assert client.get(url).status_code == 200, url


CONSENT_QUERY = {
    "response_type": "code",
    "redirect_uri": "http://127.0.0.1:8000/xero/callback/",
    "scope": "offline_access accounting.invoices",
    "state": "s",
}


def test_the_consent_page_sends_anonymous_visitors_to_the_sites_log_in_not_the_staff_one(client, sandbox_objects):
    app, _ = sandbox_objects
    response = client.get(reverse("xero_sandbox:authorize"), {**CONSENT_QUERY, "client_id": app.client_id})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")
    assert "Allow access" not in response.content.decode()


def test_a_signed_in_member_who_is_not_staff_sees_the_consent_page(client, member, sandbox_objects):
    app, organisation = sandbox_objects
    testing.organisation_user_grant(organisation=organisation, user=member)
    client.force_login(member)
    response = client.get(reverse("xero_sandbox:authorize"), {**CONSENT_QUERY, "client_id": app.client_id})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Allow access" in html and "Access Test Ltd" in html
    assert "Signed in as operator" in html

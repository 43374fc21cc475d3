"""An admin creates, copies and revokes an API key in a real browser."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect
from rest_framework.test import APIClient

from organizations.api_keys import api_key_revoked_message
from organizations.models import ApiKey, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_admin_creates_sees_once_and_revokes_a_key(page, live_server, organization):
    admin = MembershipFactory.create(
        organization=organization, user=UserFactory.create(username="alice"), role=Role.ADMIN
    ).user
    session = Client()
    session.force_login(admin)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    page.goto(f"{live_server.url}/organizations/api-keys/")
    assert page.locator("#api-keys tbody").inner_text().strip() == "No API keys yet."
    page.get_by_label("Name").fill("Warehouse sync")
    page.get_by_role("button", name="Create key").click()

    page.get_by_role("heading", name="API key created").wait_for()
    raw_key = page.locator("#raw-key").input_value()
    assert raw_key.startswith("cp_") and len(raw_key) == 46
    page.get_by_role("link", name="Done").click()

    row = page.locator("#api-keys tbody tr", has_text="Warehouse sync")
    assert raw_key not in page.content()
    assert row.locator("code").inner_text() == f"{raw_key[:11]}…"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert api.get("/api/v1/stores/").status_code == 200

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_have_text(api_key_revoked_message(name="Warehouse sync", prefix=raw_key[:11]))
    assert row.locator(".badge").inner_text().startswith("Revoked")
    assert ApiKey.objects.get().revoked_at is not None
    assert api.get("/api/v1/stores/").status_code == 401

"""Log-in and log-out through the real pages in a browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, StoreFactory, UserFactory
from tests.pages import INVALID_LOGIN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_with_the_form_then_log_out(page, live_server, organization):
    MembershipFactory.create(organization=organization, user=UserFactory.create(username="dora"))
    StoreFactory.create(organization=organization, name="Corner Shop")

    page.goto(f"{live_server.url}/stores/")
    assert page.get_by_role("heading", name="Log in").is_visible()
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(INVALID_LOGIN)

    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/stores/")
    assert page.get_by_role("cell", name="Corner Shop").is_visible()
    assert page.get_by_text("dora · Operator").is_visible()

    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("heading", name="Log in").is_visible()
    page.goto(f"{live_server.url}/stores/")
    assert page.get_by_role("heading", name="Log in").is_visible()

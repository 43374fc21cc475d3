"""The sandbox's own pages in a real browser: developer portal, organisation faults, request log."""

from __future__ import annotations

import json

import pytest

from xero_sandbox import testing
from xero_sandbox.models import DeveloperApp, Organisation

pytestmark = [pytest.mark.services, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _signed_in_as_staff(page, staff_cookie):
    """The sandbox's pages are for staff users only (tests/xero_sandbox/identity/test_access.py)."""
    page.context.add_cookies([staff_cookie])


def test_developer_portal_creates_an_app_and_shows_its_credentials(page, xero_sandbox):
    page.goto(f"{xero_sandbox}/")
    page.get_by_role("link", name="New app").click()
    page.get_by_label("App name").fill("My Shop Connector")
    page.get_by_label("Redirect URIs").fill("http://127.0.0.1:8000/xero/callback/")
    page.get_by_role("button", name="Create app").click()
    app = DeveloperApp.objects.get(name="My Shop Connector")
    assert page.locator("#client-id").inner_text() == app.client_id
    assert page.locator("#client-secret").inner_text() == app.client_secret
    assert app.redirect_uri_list == ["http://127.0.0.1:8000/xero/callback/"]


def test_developer_portal_refuses_a_non_local_http_redirect(page, xero_sandbox):
    page.goto(f"{xero_sandbox}/apps/new/")
    page.get_by_label("App name").fill("Bad")
    page.get_by_label("Redirect URIs").fill("http://shop.example.com/cb")
    page.get_by_role("button", name="Create app").click()
    assert "must use https (http only for localhost)" in page.content()
    assert DeveloperApp.objects.count() == 0


def test_faults_are_set_from_the_organisation_page(page, xero_sandbox, sandbox_org):
    page.goto(f"{xero_sandbox}/organisations/{sandbox_org.tenant_id}/")
    page.get_by_label("Added latency (ms)").fill("250")
    page.get_by_label("Share of 503 answers").fill("0.5")
    page.get_by_label("429 storm (every call rate limited)").check()
    page.get_by_role("button", name="Save faults").click()
    assert "Faults saved." in page.content()
    stored = Organisation.objects.get(pk=sandbox_org.pk)
    assert (stored.fault_latency_ms, stored.fault_503_share, stored.fault_429_storm) == (250, 0.5, True)


def test_faults_form_refuses_a_share_above_one_and_changes_nothing(page, xero_sandbox, sandbox_org):
    page.goto(f"{xero_sandbox}/organisations/{sandbox_org.tenant_id}/")
    page.get_by_label("Share of 500 answers").fill("1.5")
    page.get_by_role("button", name="Save faults").click()
    assert "Ensure this value is less than or equal to 1.0." in page.content()
    assert Organisation.objects.get(pk=sandbox_org.pk).fault_500_share == 0.0


def test_request_log_lists_calls_and_exports_json_lines_without_tokens(page, staff_session, sdk, xero_sandbox, tenant):
    sdk.accounting.get_currencies(tenant, _request_timeout=20)
    sdk.accounting.get_accounts(tenant, where='Code=="200"', _request_timeout=20)
    page.goto(f"{xero_sandbox}/organisations/{tenant}/requests/")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    assert "/api.xro/2.0/Accounts" in rows.nth(0).inner_text()

    export = staff_session.get(f"{xero_sandbox}/organisations/{tenant}/requests.jsonl", timeout=20)
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/xero-sandbox/api/api.xro/2.0/Currencies", 200),
        ("GET", "/xero-sandbox/api/api.xro/2.0/Accounts", 200),
    ]
    assert sdk.token["access_token"] not in export.text
    assert sdk.token["refresh_token"] not in export.text
    assert testing.request_count(organisation=tenant, method="GET") == 2


def test_developer_portal_creates_an_app_on_the_chosen_tier(page, xero_sandbox):
    page.goto(f"{xero_sandbox}/apps/new/")
    page.get_by_label("App name").fill("Agency Connector")
    page.get_by_label("Redirect URIs").fill("http://127.0.0.1:8000/xero/callback/")
    assert page.get_by_label("App tier").input_value() == "starter"
    page.get_by_label("App tier").select_option("advanced")
    page.get_by_role("button", name="Create app").click()
    assert DeveloperApp.objects.get(name="Agency Connector").tier == "advanced"


def test_organisation_settings_set_high_volume_and_lock_date(page, xero_sandbox, sandbox_org):
    import datetime as dt

    page.goto(f"{xero_sandbox}/organisations/{sandbox_org.tenant_id}/")
    page.get_by_label("High-volume organisation").check()
    page.get_by_label("Period lock date").fill("2026-06-30")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("Settings saved.").is_visible()
    stored = Organisation.objects.get(pk=sandbox_org.pk)
    assert (stored.high_volume, stored.lock_date) == (True, dt.date(2026, 6, 30))
    page.get_by_label("High-volume organisation").uncheck()
    page.get_by_label("Period lock date").fill("")
    page.get_by_role("button", name="Save settings").click()
    stored.refresh_from_db()
    assert (stored.high_volume, stored.lock_date) == (False, None)


def test_staff_give_a_user_access_to_an_organisation_and_take_it_away(page, xero_sandbox, sandbox_org):
    from tests.factories import UserFactory

    UserFactory.create(username="merchant")
    page.goto(f"{xero_sandbox}/organisations/{sandbox_org.tenant_id}/")
    page.get_by_label("Username").fill("nobody")
    page.get_by_role("button", name="Give access").click()
    assert page.get_by_text("No user named 'nobody' exists on this site.").is_visible()
    page.get_by_label("Username").fill("merchant")
    page.get_by_role("button", name="Give access").click()
    assert page.get_by_text("merchant may connect Demo Company (UK).").is_visible()
    assert sorted(sandbox_org.users.values_list("username", flat=True)) == ["merchant", "xero-user"]
    page.get_by_role("row", name="merchant").get_by_role("button", name="Remove").click()
    assert page.get_by_text("merchant may no longer connect Demo Company (UK).").is_visible()
    assert list(sandbox_org.users.values_list("username", flat=True)) == ["xero-user"]


def test_the_staff_user_who_creates_an_organisation_may_connect_it(page, xero_sandbox):
    page.goto(f"{xero_sandbox}/organisations/new/")
    page.get_by_label("Name").fill("Staff Books Ltd")
    page.get_by_role("button", name="Create").click()
    assert page.get_by_role("heading", name="Staff Books Ltd").is_visible()
    organisation = Organisation.objects.get(name="Staff Books Ltd")
    assert list(organisation.users.values_list("username", flat=True)) == ["sandbox-staff"]

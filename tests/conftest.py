"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from api.limits import FailedAuthenticationThrottle
from tests.csp import watch_violations
from tests.factories import MembershipFactory, OrganizationFactory, StoreFactory, UserFactory
from tests.xero_requests import XERO_URL_LIMIT, logged_url_lengths


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, with the reason shown, tests that need a service this machine lacks."""
    missing = getattr(settings, "SERVICES_MISSING", [])
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"needs {', '.join(missing)} (set REQUIRE_SERVICES=1 to fail instead)")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def billing_api_failed_authentications_forgotten():
    """Start each test with no failed Billing API authentications counted against 127.0.0.1.

    Many tests send a wrong or missing key on purpose, all from the test client's address; left
    to add up across the suite (in the shared cache), they would lock it (429) for later tests.
    """
    throttle = FailedAuthenticationThrottle
    cache.delete(throttle.cache_format % {"scope": throttle.scope, "ident": "127.0.0.1"})


@pytest.fixture
def organization(db):
    return OrganizationFactory.create(name="Acme Retail")


@pytest.fixture
def store(organization):
    """A GBP store of `organization`."""
    return StoreFactory.create(organization=organization, name="High Street", currency="GBP")


@pytest.fixture
def member(db, organization):
    """A user who is an operator of `organization`."""
    return MembershipFactory.create(organization=organization, user=UserFactory.create(username="operator")).user


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def outsider_client(client, db):
    """A logged-in member of another organization (must see 404 on everything of `organization`)."""
    outsider = MembershipFactory.create(
        organization=OrganizationFactory.create(name="Other Org"), user=UserFactory.create(username="outsider")
    ).user
    client.force_login(outsider)
    return client


# The Xero sandbox over real HTTP --------------------------------------------------------------


@pytest.fixture
def xero_sandbox(request, live_server, settings):
    """Point the portal's three Xero hosts at the sandbox served by the live server.

    Return the sandbox base URL (e.g. http://localhost:PORT/xero-sandbox). After each test of the
    portal (not of the sandbox itself, whose tests send over-long URLs on purpose), the sandbox's
    request log must hold no URL over Xero's limit: the whole suite stays within the URL budget.
    """
    base = f"{live_server.url}/xero-sandbox"
    settings.SITE_URL = live_server.url
    settings.XERO_LOGIN_URL = f"{base}/login"
    settings.XERO_IDENTITY_URL = f"{base}/identity"
    settings.XERO_API_URL = f"{base}/api"
    yield base
    if "xero_sandbox" in Path(request.node.path).relative_to(Path(__file__).parent).parts:
        return
    too_long = [entry for entry in logged_url_lengths(base_url=live_server.url) if entry[0] > XERO_URL_LIMIT]
    assert too_long == [], f"requests over Xero's URL limit: {too_long[:3]}"


# A real browser ------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (skipped, with the reason, when absent)."""
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but /usr/bin/chromium is missing (apt-get install -y chromium)")
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page of a fresh browser context; the test fails if the page reports a violation of the
    portal's Content-Security-Policy (something a user's browser would block)."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = watch_violations(page)
    yield page
    context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def logged_in_page(page, live_server, member):
    """A browser page whose session is signed in as `member` (an operator of `organization`)."""
    from django.test import Client

    client = Client()
    client.force_login(member)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return page

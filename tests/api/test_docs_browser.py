"""The Billing API docs page renders in a real browser with no request leaving the machine."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_swagger_ui_renders_offline(page, live_server):
    own_host = urlparse(live_server.url).netloc
    requested: list[str] = []
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        requested.append(url)
        if urlparse(url).scheme in ("http", "https") and urlparse(url).netloc != own_host:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.goto(f"{live_server.url}/api/docs/")

    page.locator(".swagger-ui .info .title").filter(has_text="Channels Portal Billing API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/stores/{store_id}/invoices/").first.wait_for()
    assert page.locator("button.authorize").is_visible()
    assert outside == []
    assert any(url.endswith("/api/schema/") for url in requested)

"""Drill 3 over real HTTP: the whole URL matrix as member, admin and API key of a second organization."""

from __future__ import annotations

import io
import re

import pytest

from drills import isolation

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_every_url_refuses_a_second_organization_and_changes_nothing(live_server):
    out = io.StringIO()
    outcome = isolation.run(base_url=live_server.url, out=out)
    assert outcome.failures == []
    assert outcome.uncovered == []
    assert outcome.requests == outcome.refused
    patterns = len(isolation.url_patterns()) - len(isolation.ADMIN_PUBLIC)
    assert f"isolation matrix: {patterns} URL patterns × 3 callers (member, admin, API key)" in out.getvalue()
    assert "failures: 0; uncovered patterns: 0; victim rows changed: 0" in out.getvalue()


def test_a_leaking_page_and_routes_without_a_case_fail_the_drill(live_server, settings):
    settings.ROOT_URLCONF = "tests.drills.leaky_urls"
    outcome = isolation.run(base_url=live_server.url, out=io.StringIO())
    assert outcome.uncovered == ["reports/<int:report_id>/ (report)", "exports/ (exports)"]
    leaks = [re.sub(r"/\d+/", "/{id}/", line) for line in outcome.failures]
    assert leaks == [
        "member: /leaky/{id}/ not refused: {'get': (200, ''), 'post': (200, '')}",
        "admin: /leaky/{id}/ not refused: {'get': (200, ''), 'post': (200, '')}",
        "api key: /leaky/{id}/ expected a redirect to /accounts/login/: {'get': (200, ''), 'post': (403, '')}",
    ]

"""`make test` on any machine: real services when they answer, otherwise SQLite and visible skips."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.test_settings import ROOT, _clean_env


@pytest.mark.services
@pytest.mark.django_db
def test_the_services_tests_get_postgresql_and_redis():
    import redis

    assert connection.vendor == "postgresql"
    assert redis.Redis.from_url(settings.REDIS_URL).ping() is True


def _pytest_this_file(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", f"{__file__}::{NAME}"],
        cwd=ROOT,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


NAME = test_the_services_tests_get_postgresql_and_redis.__name__
LINE = test_the_services_tests_get_postgresql_and_redis.__code__.co_firstlineno
UNREACHABLE = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/test", "REDIS_URL": "redis://127.0.0.1:1/0"}


def test_without_services_those_tests_are_skipped_with_the_reason():
    run = _pytest_this_file(**UNREACHABLE)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        f"SKIPPED [1] tests/test_settings_services.py:{LINE}: needs PostgreSQL at postgres@127.0.0.1:1, "
        "Redis at 127.0.0.1:1 (set REQUIRE_SERVICES=1 to fail instead)"
    ) in run.stdout
    assert "1 skipped" in run.stdout


def test_with_require_services_a_missing_service_fails_the_run():
    run = _pytest_this_file(REQUIRE_SERVICES="1", **UNREACHABLE)
    assert run.returncode != 0
    assert "REQUIRE_SERVICES=1 but not reachable: PostgreSQL at postgres@127.0.0.1:1, Redis at 127.0.0.1:1" in (
        run.stdout + run.stderr
    )

"""Settings behaviour: local defaults, service switches, production's deploy check, .env.example.

Each case imports the settings in a fresh interpreter with a controlled environment, as a
machine would start the portal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DIR = ROOT / "channels_portal" / "settings"
ENV_NAME = re.compile(
    r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']|os\.environ(?:\.get|\.setdefault|\.pop)?[\[(]\s*["']([A-Z][A-Z0-9_]*)["']"""
)

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k3y-" + "x" * 60 + "-not-a-real-secret-9f2c1a",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "SITE_URL": "https://portal.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgres://portal:portal@db.example.com:5432/portal",
    "REDIS_URL": "redis://redis.example.com:6379/0",
}


def _clean_env(**values: str) -> dict[str, str]:
    """Return a minimal environment (no settings from this machine's test run)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    env.update(values)
    return env


def _settings(module: str, names: list[str], **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE=module, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# What `make run` (scripts/run_local.sh) puts in the environment of a development machine.
LOCAL = {"DJANGO_DEBUG": "true"}


def test_local_defaults_need_no_services():
    values = _settings("channels_portal.settings.base", ["DATABASES", "CELERY_BROKER_URL", "CACHES", "DEBUG"], **LOCAL)
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert values["DEBUG"] is True


def test_database_and_redis_urls_switch_to_the_services():
    values = _settings(
        "channels_portal.settings.base",
        ["DATABASES", "CELERY_BROKER_URL", "CACHES"],
        DATABASE_URL="postgres://u:p@db:5432/portal",
        REDIS_URL="redis://cache:6379/2",
        **LOCAL,
    )
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert values["DATABASES"]["default"]["NAME"] == "portal"
    assert values["CELERY_BROKER_URL"] == "redis://cache:6379/2"
    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache:6379/2"


def test_celery_is_json_only_late_ack_prefetch_one_with_time_limits():
    code = (
        "import django; django.setup(); from channels_portal.celery import app; c = app.conf;"
        "print(c.task_serializer, c.accept_content, c.task_acks_late, c.task_reject_on_worker_lost,"
        " c.worker_prefetch_multiplier, c.task_soft_time_limit, c.task_time_limit, sorted(c.beat_schedule))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="channels_portal.settings.base", **LOCAL),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == (
        "json ['json'] True True 1 120 180 "
        "['refresh-idle-tokens', 'sync-sweep-due', 'xero-events-sweep', 'xero-poll-due']"
    ), result.stderr


def test_production_passes_check_deploy_with_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="channels_portal.settings.production", **PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_uses_the_services_and_whitenoise():
    values = _settings(
        "channels_portal.settings.production",
        ["DEBUG", "CELERY_BROKER_URL", "STORAGES", "XERO_SANDBOX_ENABLED", "XERO_API_URL", "SESSION_COOKIE_SECURE"],
        **PRODUCTION_ENV,
    )
    assert values["DEBUG"] is False
    assert values["CELERY_BROKER_URL"] == "redis://redis.example.com:6379/0"
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert (values["XERO_SANDBOX_ENABLED"], values["XERO_API_URL"]) == (False, "https://api.xero.com")
    assert values["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"]
)
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="channels_portal.settings.production", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_test_settings_fall_back_to_sqlite_when_services_are_unreachable():
    values = _settings(
        "channels_portal.settings.test",
        ["DATABASES", "SERVICES_MISSING", "CELERY_BROKER_URL"],
        DATABASE_URL="postgres://postgres@127.0.0.1:1/test",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["SERVICES_MISSING"] == ["PostgreSQL at postgres@127.0.0.1:1", "Redis at 127.0.0.1:1"]
    assert values["CELERY_BROKER_URL"] == "filesystem://"


def test_require_services_turns_a_missing_service_into_an_error():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="channels_portal.settings.test",
            DATABASE_URL="postgres://postgres@127.0.0.1:1/test",
            REQUIRE_SERVICES="1",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "REQUIRE_SERVICES=1 but not reachable: PostgreSQL at postgres@127.0.0.1:1" in result.stderr


def _names_read_by_settings() -> set[str]:
    names = set()
    for path in SETTINGS_DIR.glob("*.py"):
        for match in ENV_NAME.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names


def test_env_example_documents_every_variable_the_settings_read():
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read = _names_read_by_settings()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS"} <= read
    assert read - documented == set()


def test_env_example_values_give_a_working_configuration():
    parsed: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            parsed[key] = value.strip().strip('"')
    names = ["DEBUG", "DATABASES", "AXES_FAILURE_LIMIT", "DEFAULT_FROM_EMAIL", "XERO_SANDBOX_ENABLED"]
    settings = _settings("channels_portal.settings.base", names, **parsed, **LOCAL)
    assert settings["AXES_FAILURE_LIMIT"] == 5
    assert settings["DEFAULT_FROM_EMAIL"] == "Channels Portal <portal@localhost>"
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"


def _env_example_values() -> dict[str, str]:
    """Return the values `.env.example` sets (what `cp .env.example .env` puts in force)."""
    parsed: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            parsed[key] = value.strip().strip('"')
    return parsed


def test_production_with_every_env_example_value_talks_to_xero_and_serves_no_sandbox():
    names = ["XERO_SANDBOX_ENABLED", "XERO_LOGIN_URL", "XERO_IDENTITY_URL", "XERO_API_URL", "INSTALLED_APPS"]
    values = _settings("channels_portal.settings.production", names, **{**_env_example_values(), **PRODUCTION_ENV})
    assert values["XERO_SANDBOX_ENABLED"] is False
    assert "xero_sandbox" not in values["INSTALLED_APPS"]
    assert (values["XERO_LOGIN_URL"], values["XERO_IDENTITY_URL"], values["XERO_API_URL"]) == (
        "https://login.xero.com",
        "https://identity.xero.com",
        "https://api.xero.com",
    )
    code = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/xero-sandbox/')\nexcept Resolver404:\n    print('no sandbox route')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_clean_env(
            DJANGO_SETTINGS_MODULE="channels_portal.settings.production", **{**_env_example_values(), **PRODUCTION_ENV}
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "no sandbox route", result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("XERO_SANDBOX_ENABLED", "true", "production settings never serve the Xero sandbox"),
        ("XERO_API_URL", "http://127.0.0.1:8000/xero-sandbox/api", "XERO_API_URL must be https://api.xero.com"),
        ("XERO_IDENTITY_URL", "https://identity.example.com", "XERO_IDENTITY_URL must be https://identity.xero.com"),
        ("XERO_LOGIN_URL", "http://localhost/login", "XERO_LOGIN_URL must be https://login.xero.com"),
        ("XERO_RATE_TIME_SCALE", "10", "XERO_RATE_TIME_SCALE must be 1 in production"),
    ],
)
def test_production_refuses_to_start_pointed_anywhere_but_xero(name, value, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="channels_portal.settings.production", **PRODUCTION_ENV, **{name: value}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr

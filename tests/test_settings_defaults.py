"""Safe defaults: DEBUG is off unless asked for, and then the built-in secret key is refused.

Each case starts the settings in a fresh interpreter with a controlled environment, as a
machine would; `make run` asks for DEBUG (tests/test_run_local.py starts it for real).
"""

from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from organizations.models import Organization
from tests.test_settings import ROOT, _clean_env, _settings

REFUSAL = (
    "DJANGO_DEBUG is off, so the built-in development secret key may not be used. "
    "Set the DJANGO_SECRET_KEY environment variable to a long random string "
    "(or DJANGO_DEBUG=true on a development machine)."
)


def _check(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_clean_env(DJANGO_SETTINGS_MODULE="channels_portal.settings.base", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "env",
    [
        {},  # nothing set: DEBUG is off, and the key is the built-in one
        {"DJANGO_DEBUG": "false"},
        {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "django-insecure-local-development-only"},
    ],
)
def test_with_debug_off_the_built_in_secret_key_is_refused(env):
    result = _check(**env)
    assert result.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {REFUSAL}" in result.stderr


def test_debug_is_off_unless_asked_for():
    key = "a-real-" + "k" * 50
    assert _settings("channels_portal.settings.base", ["DEBUG"], DJANGO_SECRET_KEY=key) == {"DEBUG": False}
    asked = _settings("channels_portal.settings.base", ["DEBUG", "SECRET_KEY"], DJANGO_DEBUG="true")
    assert asked == {"DEBUG": True, "SECRET_KEY": "django-insecure-local-development-only"}


@pytest.mark.django_db
def test_load_demo_data_refuses_outside_a_debug_or_demo_setting(settings):
    settings.DEBUG, settings.DEMO_MODE = False, False
    with pytest.raises(CommandError) as error:
        call_command("load_demo_data")
    assert str(error.value) == (
        "load_demo_data creates users with published passwords, so it runs only on a development "
        "machine (DJANGO_DEBUG=true) or a demo server (DEMO_MODE=true). Nothing was changed."
    )
    assert not Organization.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("debug", "demo"), [(True, False), (False, True)])
def test_load_demo_data_runs_in_a_debug_or_demo_setting(settings, debug, demo):
    settings.DEBUG, settings.DEMO_MODE = debug, demo
    call_command("load_demo_data", stdout=StringIO())
    assert list(Organization.objects.values_list("name", flat=True)) == ["Demo Retail Ltd", "Harbour Goods Co"]

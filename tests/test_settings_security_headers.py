"""Production answers carry the Content-Security-Policy (and the Billing API `no-store`).

The production settings are started in a fresh interpreter, as on a server, and asked through
Django's test client: a portal page (the log-in redirect: no database or collected static files
needed) and a Billing API answer.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.csp import STRICT, directives
from tests.test_settings import PRODUCTION_ENV, ROOT, _clean_env

ASK = """
import json, django
django.setup()
from django.test import Client
answers = {}
for path in ("/stores/", "/api/v1/stores/"):
    answer = Client().get(path, secure=True, HTTP_HOST="portal.example.com")
    answers[path] = [answer.status_code, dict(answer.headers)]
print(json.dumps(answers))
"""


def _production_answers() -> dict[str, list]:
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="channels_portal.settings.production",
        **{
            **PRODUCTION_ENV,
            # In memory: the redirect and the 401 read nothing, but a request opens its transaction.
            "DATABASE_URL": "sqlite://:memory:",
            # The 401 would be counted in Redis (not running at redis.example.com).
            "BILLING_API_FAILED_AUTH_RATE": "",
        },
    )
    result = subprocess.run([sys.executable, "-c", ASK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_pages_and_api_carry_the_strict_policy_and_the_api_says_no_store():
    answers = _production_answers()
    status, headers = answers["/stores/"]
    assert (status, headers["Location"]) == (302, "/accounts/login/?next=/stores/")
    policy = directives(headers["Content-Security-Policy"])
    assert {name: policy.get(name) for name in STRICT} == STRICT
    # The Connect button's POST is redirected to Xero's log-in, and on to its consent page.
    assert policy["form-action"] == "'self' https://login.xero.com https://authorize.xero.com"

    status, headers = answers["/api/v1/stores/"]
    assert status == 401
    assert headers["Cache-Control"] == "no-store"
    assert directives(headers["Content-Security-Policy"]) == policy

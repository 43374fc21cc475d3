"""Several sandbox server processes share one set of rate-limit counters; gunicorn drops answers too."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import urllib3
from django.conf import settings
from django.db import connection

from xero_sandbox import testing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T = 20
ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, django_db_blocker):
    """A second sandbox server: gunicorn with two worker processes on the test database and Redis db."""
    port = _free_port()
    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "channels_portal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
    }
    process = subprocess.Popen(
        [
            *(str(Path(sys.executable).parent / "gunicorn"), "channels_portal.wsgi:application"),
            *("-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "2", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/xero-sandbox"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/identity/.well-known/openid-configuration", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(base, sdk, tenant):
    return requests.get(
        f"{base}/api/api.xro/2.0/Currencies",
        headers={"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": tenant},
        timeout=T,
    )


def test_minute_limit_is_shared_by_the_live_server_and_two_gunicorn_workers(sdk, xero_sandbox, gunicorn, tenant):
    answers = [_get(xero_sandbox if n % 2 else gunicorn, sdk, tenant) for n in range(61)]
    assert [a.status_code for a in answers].count(200) == 60
    assert answers[-1].status_code == 429
    assert answers[-1].headers["X-Rate-Limit-Problem"] == "minute"
    assert sorted(int(a.headers["X-MinLimit-Remaining"]) for a in answers[:60]) == list(range(60))


def test_dropped_answer_under_gunicorn_resets_the_connection_after_commit(sdk, gunicorn, tenant):
    testing.faults_set(organisation=tenant, drop_share=1.0)
    pool = urllib3.PoolManager(retries=False)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        pool.request(
            "PUT",
            f"{gunicorn}/api/api.xro/2.0/Contacts",
            body=b'{"Contacts": [{"Name": "Jane Buyer"}]}',
            headers={
                "Authorization": f"Bearer {sdk.token['access_token']}",
                "xero-tenant-id": tenant,
                "Content-Type": "application/json",
            },
            timeout=T,
        )
    assert [c["Name"] for c in testing.contacts(organisation=tenant)] == ["Jane Buyer"]

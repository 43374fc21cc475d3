"""Xero's OAuth code and state never reach a server log: gunicorn's access log and runserver's.

Both servers are started for real, on the test database, and asked for the callback address
exactly as the browser comes back from Xero's consent page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from drills.waiting import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ROOT = Path(settings.BASE_DIR)
CODE, STATE = "c0de-7f3a9b1e5d", "st4te-Qm8ZrT2wXy"
CALLBACK = f"/xero/callback/?code={CODE}&state={STATE}&scope=openid"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env() -> dict[str, str]:
    database = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "channels_portal.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }


def _get_callback(port: int) -> requests.Response:
    """Come back from Xero as a browser does; the Referer carries the same secrets (a page shown there)."""
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            return requests.get(
                base + CALLBACK, headers={"Referer": base + CALLBACK}, allow_redirects=False, timeout=10
            )
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail("the server did not start")


def _log_lines(log: Path, needle: str) -> list[str]:
    return wait_for(
        lambda: [line for line in log.read_text().splitlines() if needle in line], timeout=5, what=f"{needle!r} logged"
    )


def _run(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(args, cwd=ROOT, env=_server_env(), stdout=out, stderr=subprocess.STDOUT)


def test_gunicorn_access_log_has_the_callback_path_without_code_or_state(tmp_path):
    port, log = _free_port(), tmp_path / "access.log"
    # The command of docker-compose.yml's web service (its access log to a file here).
    server = _run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *("channels_portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
            *("--access-logfile", str(log)),
        ],
        tmp_path / "gunicorn.log",
    )
    try:
        assert _get_callback(port).status_code == 302
        lines = _log_lines(log, "/xero/callback/")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(lines) == 1, log.read_text()
    assert '"GET /xero/callback/ HTTP/1.1" 302 0 "python-requests/' in lines[0]
    assert CODE not in log.read_text() and STATE not in log.read_text()


def test_runserver_logs_the_callback_path_without_code_or_state(tmp_path):
    port, log = _free_port(), tmp_path / "runserver.log"
    server = _run([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], log)
    try:
        assert _get_callback(port).status_code == 302
        lines = _log_lines(log, "/xero/callback/")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(lines) == 1, log.read_text()
    assert lines[0].endswith('"GET /xero/callback/ HTTP/1.1" 302 0')
    assert CODE not in log.read_text() and STATE not in log.read_text()

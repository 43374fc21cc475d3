"""`make run` itself, started as a newcomer starts it (the browser tests of the README's default, its bench).

The checkout is copied (without its `.venv`, `.local` and database) into a folder of the test, so
the run has a fresh SQLite database, broker folder and encryption key of its own, and `make run`
is started there on a free port with an environment that holds nothing of this machine's test
run: SQLite and kombu's file broker, as the README says. The already-built `.venv` is reused
(linked), so nothing is installed again. With `database_url` and `redis_url` the same run uses
PostgreSQL and Redis instead.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess  # nosec B404  # starts `make run` with fixed arguments
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
import requests

from drills.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
COPY_IGNORED = shutil.ignore_patterns(
    ".venv",
    ".venv-tools",
    ".grimp_cache",
    ".local",
    ".git",
    "db.sqlite3",
    "__pycache__",
    "staticfiles",
    "node_modules",
    ".mypy_cache",
    ".ruff_cache",
)
READY = "Log in as  demo / demo-password-2026"
MAKE = shutil.which("make") or "/usr/bin/make"
APP_CREDENTIALS = re.compile(r'"client_id": "([0-9A-F]+)",\s*"client_secret": "([^"]+)"', re.S)


@dataclass
class LocalPortal:
    url: str
    log: Path
    process: subprocess.Popen[bytes]
    client_id: str
    client_secret: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def make_run(folder: Path, *, database_url: str = "", redis_url: str = "") -> LocalPortal:
    """Copy the checkout into `folder` and start `make run` there; return once it answers."""
    checkout = folder / "checkout"
    shutil.copytree(ROOT, checkout, ignore=COPY_IGNORED, symlinks=True)
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(folder)),
        "PORT": str(port),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    log = folder / "make-run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # nosec B603  # make, with fixed arguments
            [MAKE, "run"], cwd=checkout, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: READY in log.read_text(errors="replace") or process.poll() is not None, timeout=300,
                 interval=0.5, what="make run printing its log-in")  # fmt: skip
        assert process.poll() is None, log.read_text(errors="replace")
        wait_for(lambda: _answers(f"{url}/accounts/login/"), timeout=60, what="the portal answering")
    except BaseException:
        stop(process)
        raise
    found = APP_CREDENTIALS.search(log.read_text(errors="replace"))
    assert found, "make run did not print the sandbox's demo app"
    return LocalPortal(url=url, log=log, process=process, client_id=found.group(1), client_secret=found.group(2))


def stop(process: subprocess.Popen[bytes], *, seconds: float = 60) -> int:
    """Press Ctrl-C (SIGINT to the whole process group, as a terminal does); return the exit code."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            raise AssertionError(f"make run did not stop within {seconds:g} s of Ctrl-C") from None
    return process.returncode


def group_processes(pgid: int) -> list[str]:
    """Return the command lines of the processes still in the process group `pgid`."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == pgid:
                left.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (ProcessLookupError, PermissionError, FileNotFoundError):
            continue
    return left


def fresh_services(*, server: str, database: str, redis_url: str) -> tuple[str, str]:
    """An empty PostgreSQL database on `server` (postgres://user@host:port) and an emptied Redis database,
    for one `make run` on PostgreSQL and Redis; return (database URL, Redis URL)."""
    with psycopg.connect(f"{server}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(redis_url).flushdb()
    return f"{server}/{database}", redis_url


def invoice_body(
    *, number: str, rate: str, description: str = "Gift box", issue_date: str = "", price: str = "10.00"
) -> dict[str, object]:
    """An invoice of one line at `rate` percent (dated today unless `issue_date`), as a store system sends it."""
    day = issue_date or time.strftime("%Y-%m-%d")
    return {
        "number": number,
        "customer_name": "Make Run",
        "customer_email": "make.run@example.com",
        "customer_id": "CUST-MAKERUN",
        "issue_date": day,
        "due_date": day,
        "lines": [{"description": description, "quantity": "1", "unit_price": price, "tax_rate": rate}],
    }


def sync_state(portal: LocalPortal, *, key: str, invoice_id: int) -> dict[str, object]:
    """Return the invoice's sync state in its (one) channel, as the Billing API says."""
    answer = requests.get(
        f"{portal.url}/api/v1/invoices/{invoice_id}/", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    answer.raise_for_status()
    sync = answer.json()["sync"]
    return sync[0] if sync else {}

"""A standalone sandbox for a drill: its own PostgreSQL database, Redis database and gunicorn.

The portal and the Xero sandbox are served by gunicorn from the drill's database; the drill
process itself runs Django against the same database, as a Celery worker would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess  # nosec B404  # starts the project's own gunicorn / pg_dump with fixed arguments
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def environment(*, database: str, redis_db: int, port: int, log_level: str = "ERROR", **extra: str) -> dict[str, str]:
    """Return the environment of a drill's or a bench's own portal: its PostgreSQL database and Redis
    database, the sandbox served on `port`, a throw-away secret key; `extra` adds or overrides."""
    from cryptography.fernet import Fernet

    site = f"http://127.0.0.1:{port}"
    base = f"{site}/xero-sandbox"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="channels_portal.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="drill-only-not-a-secret",  # nosec B106  # a throw-away value of a drill's own database
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        FIELD_ENCRYPTION_KEYS=os.environ.get("FIELD_ENCRYPTION_KEYS") or Fernet.generate_key().decode(),
        XERO_SANDBOX_ENABLED="true",
        SITE_URL=site,
        XERO_LOGIN_URL=f"{base}/login",
        XERO_IDENTITY_URL=f"{base}/identity",
        XERO_API_URL=f"{base}/api",
        LOG_LEVEL=log_level,
    )
    env.update(extra)
    return env


def recreate_database(name: str) -> None:
    """Drop (with its connections) and create the PostgreSQL database `name`."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Return once something listens on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def server_log(database: str) -> Path:
    """The file a drill's gunicorn and portal log to (one per drill database)."""
    return ROOT / ".local" / f"drill-gunicorn-{database}.log"


@contextlib.contextmanager
def sandbox(
    *, database: str, redis_db: int, port: int, web_workers: int = 2, log_level: str = "ERROR"
) -> Iterator[str]:
    """Set up Django on a fresh database, serve it with gunicorn; yield the site URL, then stop.

    `log_level` is the portal's (LOG_LEVEL) and gunicorn's; their log goes to `server_log(database)`,
    gunicorn's access log too when the level is not ERROR.
    """
    env = environment(database=database, redis_db=redis_db, port=port, log_level=log_level)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    recreate_database(database)
    import django
    import redis

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    gunicorn_level = "warning" if log_level == "ERROR" else log_level.lower()
    args = [str(ROOT / ".venv/bin/gunicorn"), "channels_portal.wsgi:application", "-b", f"127.0.0.1:{port}",
            "-w", str(web_workers), "--threads", "8", "--log-level", gunicorn_level]  # fmt: skip
    (ROOT / ".local").mkdir(exist_ok=True)
    if log_level != "ERROR":
        args += ["--access-logfile", "-"]
    log = open(server_log(database), "w")  # noqa: SIM115 (closed in finally)
    web = subprocess.Popen(  # nosec B603  # fixed argument list, no shell, no user input
        args,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log if log_level != "ERROR" else subprocess.DEVNULL,
        stderr=log,
    )
    try:
        wait_for_port(port)
        yield env["SITE_URL"]
    finally:
        if web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            try:
                web.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(web.pid, signal.SIGKILL)
        log.close()


def connected_channel(
    *,
    store: Any,
    app: Any,
    organisation: Any,
    token: Any,
    tax_types: tuple[tuple[str, str], ...] = (("20", "OUTPUT2"),),
    **fields: Any,
) -> Any:
    """Return `store`'s active channel, connected to the sandbox `organisation` through `app` with
    the issued `token`, sending to account 200, with the operator's tax choices `tax_types`
    ((rate, Xero tax type), …; the UK books have two sales tax types at 20%)."""
    from drills.channels import SandboxOrg, sandbox_channel

    org = SandboxOrg(organisation.name, str(organisation.tenant_id), app.client_id, app.client_secret, token)
    fields.setdefault("name", "Xero")
    fields.setdefault("account_nominal_code", "200")
    return sandbox_channel(org=org, store=store, tax_mapping=dict(tax_types), **fields)

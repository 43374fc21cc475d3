"""Fixtures of the sync engine tests: sandbox organisations over real HTTP, a real Celery worker.

Tests stage and read the sandbox through `xero_sandbox.testing`; the portal reaches it only over
HTTP through the live server, as it would reach Xero.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings

from accounting.models import AccountingChannel
from drills.channels import UK_TAX_MAPPING, SandboxOrg, sandbox_channel, sandbox_org  # noqa: F401  (shared)
from drills.waiting import wait_for
from tests.factories import StoreFactory

ROOT = Path(__file__).resolve().parents[3]
# A sandbox minute lasts 1 s in these tests; the portal's limiter uses the same scale.
TIME_SCALE = 60.0


_names = itertools.count(1)


def connect_channel(
    *, org: SandboxOrg, store: Any = None, tax_mapping: dict[str, str] | None = None, **fields: Any
) -> AccountingChannel:
    """Return an accounting channel connected to `org` (active unless told otherwise), of `store`
    or a new one (see `drills.channels.sandbox_channel`)."""
    fields.setdefault("name", f"Xero channel {next(_names)}")
    return sandbox_channel(org=org, store=store or StoreFactory.create(), tax_mapping=tax_mapping, **fields)


# Real Xero answers 404 to longer URLs (about 2,050 characters and up).
@pytest.fixture
def sandbox(xero_sandbox, settings, live_server):
    """The sandbox on the live server, with both sides' rate windows scaled alike (the root
    `xero_sandbox` fixture checks that no request went over Xero's URL limit)."""
    settings.XERO_SANDBOX_TIME_SCALE = TIME_SCALE
    settings.XERO_RATE_TIME_SCALE = TIME_SCALE
    settings.XERO_SANDBOX_RATE_LIMITS = True
    return xero_sandbox


@pytest.fixture
def clean_redis():
    """Empty this run's Redis database (its own, by REDIS_URL): limiter, lanes, broker, sandbox limits."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def worker_env(*, live_server_url: str, time_scale: float = TIME_SCALE) -> dict[str, str]:
    """Return the environment a worker needs to share this test's database, Redis and sandbox."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="channels_portal.settings.test",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=settings.REDIS_URL,
        SITE_URL=live_server_url,
        XERO_API_URL=f"{live_server_url}/xero-sandbox/api",
        XERO_IDENTITY_URL=f"{live_server_url}/xero-sandbox/identity",
        XERO_LOGIN_URL=f"{live_server_url}/xero-sandbox/login",
        XERO_SANDBOX_TIME_SCALE=str(time_scale),
        XERO_RATE_TIME_SCALE=str(time_scale),
        SYNC_SWEEP_SECONDS="0.5",
        XERO_REQUEST_TIMEOUT="5",
        LOG_LEVEL="WARNING",
    )
    env.pop("TEST_DATABASE_NAME", None)
    return env


def start_worker(*, env: dict[str, str], name: str, concurrency: int = 4, beat: bool = True) -> subprocess.Popen:
    """Start a real `celery worker` (threads pool, embedded beat) and wait until it is ready."""
    args = [sys.executable, "-m", "celery", "-A", "channels_portal", "worker", "--pool=threads",
            f"--concurrency={concurrency}", f"--hostname={name}@%h", "--loglevel=WARNING", "--without-gossip",
            "--without-mingle", "--without-heartbeat"]  # fmt: skip
    if beat:
        (ROOT / ".local").mkdir(exist_ok=True)  # a clean clone has no runtime folder yet
        args += ["--beat", "--schedule", str(ROOT / ".local" / f"beat-{os.getpid()}-{name}")]
    process = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)
    client = redis.Redis.from_url(settings.REDIS_URL)

    def consuming() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited with {process.returncode}")
        # A worker consuming the default queue registers itself in kombu's binding set.
        return bool(client.exists("_kombu.binding.celery"))

    wait_for(consuming, timeout=30, what="the worker consuming the task queue")
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture
def celery_worker(sandbox, live_server, clean_redis) -> Iterator[subprocess.Popen]:
    """A real Celery worker process (with beat) on this test's database and Redis database."""
    process = start_worker(env=worker_env(live_server_url=live_server.url), name="sync-test")
    yield process
    stop_worker(process)


@pytest.fixture
def org(sandbox, clean_redis):
    """A sandbox organisation with a token set, for tests that run turns in this process."""
    return sandbox_org("Acme Books Ltd")

"""With no broker configured, a real Celery worker still runs tasks (kombu's filesystem broker)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from drills.waiting import wait_for
from tests.test_settings import ROOT, _clean_env

CELERY = Path(sys.executable).parent / "celery"


def test_a_worker_runs_tasks_sent_through_the_filesystem_broker(tmp_path):
    env = _clean_env(
        DJANGO_SETTINGS_MODULE="channels_portal.settings.base",
        DJANGO_DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path / "broker"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "beat"),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [str(CELERY), "-A", "channels_portal", "worker", "--pool=solo", "--loglevel=info", "-n", "fs@%h"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        send = (
            "import django; django.setup(); from channels_portal.celery import app;"
            "print(app.conf.broker_url); app.send_task('celery.accumulate', args=[20, 26])"
        )
        sent = subprocess.run(
            [sys.executable, "-c", send], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert sent.stdout.strip().splitlines()[-1] == "filesystem://", sent.stderr
        wait_for(lambda: "succeeded" in log.read_text(), timeout=60, interval=0.3, what="the task run by the worker")
        done = [line for line in log.read_text().splitlines() if "celery.accumulate" in line and "succeeded" in line]
        assert len(done) == 1, log.read_text()
        assert done[0].endswith(": (20, 26)")
    finally:
        worker.terminate()
        worker.wait(timeout=30)

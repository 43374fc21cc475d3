"""`make run` after an unclean stop: a schedule file a killed beat left half-written stops nothing.

A kill during start-up can leave Celery beat's schedule file (a shelve) with its index written
and its data cut short; Celery's own scheduler then exits with `EOFError: Ran out of input`
on every start, and scripts/run_local.sh stops the whole portal with it. Beat is started here
the way run_local.sh starts it, and run_local.sh itself as a new user runs it (`make run`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import requests
from cryptography.fernet import Fernet

from drills.make_run.portal import group_processes, make_run, stop
from drills.waiting import wait_for
from tests.test_settings import ROOT, _clean_env

CELERY = Path(sys.executable).parent / "celery"
SENT = "Scheduler: Sending due task sync-sweep-due (accounting.tasks.sweep_due)"


def _supervisor() -> ModuleType:
    """scripts/supervise_local.py, whose messages make run's log shows (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location("supervise_local", ROOT / "scripts" / "supervise_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


SUPERVISOR = _supervisor()


def _local_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a development machine, with every runtime file under `tmp_path`."""
    return _clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path / "broker"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat-schedule"),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        SYNC_SWEEP_SECONDS="1",
        **extra,
    )


def _wait_for(log: Path, text: str, *, after: int = 0, seconds: float = 60) -> bool:
    """Return True once `text` is in the log (after its first `after` characters); fail after `seconds`."""
    return wait_for(lambda: text in log.read_text()[after:], timeout=seconds, interval=0.3, what=f"{text!r} in the log")


def _beat(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start beat as scripts/run_local.sh does."""
    with log.open("a") as out:
        return subprocess.Popen(
            [str(CELERY), "-A", "channels_portal", "beat", "--loglevel=info"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _half_write(schedule: Path) -> None:
    """Leave the schedule as a kill in the middle of writing it does: index kept, data cut short."""
    data = schedule.with_name(schedule.name + ".dat")
    assert data.stat().st_size > 0 and schedule.with_name(schedule.name + ".dir").stat().st_size > 0
    data.write_bytes(b"")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def test_beat_starts_again_from_a_half_written_schedule_file(tmp_path):
    env = _local_env(tmp_path, DJANGO_DEBUG="true")
    log = tmp_path / "beat.log"
    first = _beat(env, log)
    try:
        assert _wait_for(log, SENT), log.read_text()
    finally:
        _stop(first)
    _half_write(tmp_path / "celerybeat-schedule")
    restart_at = len(log.read_text())
    second = _beat(env, log)
    try:
        assert _wait_for(log, SENT, after=restart_at), log.read_text()[restart_at:]
        assert second.poll() is None
        restarted = log.read_text()[restart_at:]
        assert "EOFError" in restarted  # the reason is logged ...
        assert "could not be read (EOFError('Ran out of input')): it is replaced by a new one." in restarted
    finally:
        _stop(second)
    # ... and the new file is whole: the next start reads it without complaint.
    third_at = len(log.read_text())
    third = _beat(env, log)
    try:
        assert _wait_for(log, SENT, after=third_at)
        assert "could not be read" not in log.read_text()[third_at:]
    finally:
        _stop(third)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_serves_the_portal_after_a_kill_left_the_schedule_half_written(tmp_path):
    """As a new user: no DJANGO_DEBUG or secret key set, a half-written schedule from a killed run."""
    port = _free_port()
    env = _local_env(tmp_path, PORT=str(port))
    beat_log = tmp_path / "beat.log"
    first = _beat({**env, "DJANGO_DEBUG": "true"}, beat_log)
    try:
        assert _wait_for(beat_log, SENT), beat_log.read_text()
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    _half_write(tmp_path / "celerybeat-schedule")

    log = tmp_path / "run.log"
    with log.open("w") as out:
        run = subprocess.Popen(
            ["bash", "scripts/run_local.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _wait_for(log, "Log in as  demo / demo-password-2026", seconds=240), log.read_text()
        page = None
        for _ in range(100):
            try:
                page = requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert page is not None and page.status_code == 200
        assert _wait_for(log, SENT), log.read_text()
        assert "it is replaced by a new one." in log.read_text()
        time.sleep(2)
        assert run.poll() is None, log.read_text()  # the portal, worker and beat are all still up
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=30)


# The three processes of `make run`, looked after (scripts/supervise_local.py) ----------------------

STARTED = re.compile(r"\[make run\] (web server|Celery worker|Celery beat) started \(pid (\d+)\)\.")


def _pids(portal) -> dict[str, int]:
    """The latest pid of each process, as the supervisor announced it."""
    return {name: int(pid) for name, pid in STARTED.findall(portal.log_text())}


def test_a_worker_that_dies_comes_back_and_a_dead_web_server_stops_make_run_saying_why(tmp_path):
    portal = make_run(tmp_path)
    pgid = portal.process.pid
    try:
        first = _pids(portal)["Celery worker"]
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: _pids(portal)["Celery worker"] != first, timeout=30, what="the worker started again")
        restarted = SUPERVISOR.restarting_message(name="Celery worker", code=-9, restarts=1)
        assert f"[make run] {restarted}" in portal.log_text().splitlines()
        assert portal.process.poll() is None
        assert requests.get(f"{portal.url}/accounts/login/", timeout=10).status_code == 200

        os.kill(_pids(portal)["web server"], signal.SIGKILL)
        assert portal.process.wait(timeout=60) != 0
        stopped = SUPERVISOR.stopped_for_good_message(name="web server", code=-9)
        assert f"[make run] {stopped}" in portal.log_text().splitlines()
        wait_for(lambda: group_processes(pgid) == [], timeout=30, what="every process of make run gone")
    finally:
        stop(portal.process)


def test_ctrl_c_stops_the_portal_worker_and_beat(tmp_path):
    portal = make_run(tmp_path)
    pgid = portal.process.pid
    stop(portal.process, seconds=30)
    assert f"[make run] {SUPERVISOR.STOPPING}" in portal.log_text().splitlines()
    assert "did not stop within" not in portal.log_text()
    assert group_processes(pgid) == []

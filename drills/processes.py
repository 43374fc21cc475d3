"""The processes drill 1 (crash) starts, kills and restarts: a private PostgreSQL cluster, a private
redis-server and the real Celery workers, each in its own process group. Nothing shared with the
machine (its own PostgreSQL and Redis) is ever touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import random
import shutil
import signal
import socket
import subprocess  # nosec B404  # runs fixed commands of the bench/drill's own processes
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drills.harness import ROOT, wait_for_port


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_group(process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on its own port, which the drill may crash at will."""

    def __init__(self, *, folder: Path, port: int, database: str):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found and not shutil.which("initdb"):
            raise RuntimeError("initdb not found (/usr/lib/postgresql/*/bin): install the PostgreSQL server")
        self.bin = Path(found[-1]).parent if found else Path(shutil.which("initdb") or "").parent
        self.folder = folder / "pg"
        self.data = self.folder / "data"
        self.port = port
        self.database = database
        self.url = f"postgres://postgres@127.0.0.1:{port}/{database}"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)  # nosec B603  # fixed argument list built by the drill itself, no shell, no outside input
        if result.returncode:
            raise RuntimeError(f"{' '.join(args[:1])} failed: {result.stdout[-2000:]}")

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-o", options, "start")

    def crash(self) -> None:
        """Stop at once: no checkpoint, every open transaction lost (recovered from WAL at start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


class PrivateRedis:
    """A redis-server on its own port that keeps nothing on disk: a restart empties it."""

    def __init__(self, *, folder: Path, port: int):
        self.folder = folder
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        args = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, start_new_session=True)  # nosec B603  # fixed argument list built by the drill itself, no shell, no outside input
        wait_for_port(self.port)

    def crash(self) -> None:
        if self.process is not None:
            stop_group(self.process, sig=signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)


@dataclass
class Workers:
    """The real `celery worker` processes; a killed or dead one is started again."""

    env: dict[str, str]
    count: int
    concurrency: int
    log: Any
    processes: list[subprocess.Popen] = field(default_factory=list)
    kills: int = 0
    deaths: int = 0  # exits the drill did not cause

    def _start(self, n: int) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "channels_portal",
            "worker",
            "--pool=threads",
            f"--concurrency={self.concurrency}",
            f"--hostname=crash{n}@%h",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if n == 0:
            command.append("--beat")
        return subprocess.Popen(  # nosec B603  # fixed argument list built by the drill itself, no shell, no outside input
            command, cwd=ROOT, env=self.env, start_new_session=True, stdout=self.log, stderr=self.log
        )

    def start(self) -> None:
        self.processes = [self._start(n) for n in range(self.count)]

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Return once every worker answers a Celery ping (a loaded machine boots them slowly)."""
        from channels_portal.celery import app

        deadline = time.monotonic() + timeout
        while len(app.control.ping(timeout=1.0) or []) < self.count:
            if time.monotonic() > deadline:
                raise RuntimeError("the celery workers did not answer a ping")

    def kill_one(self, rng: random.Random) -> int:
        """SIGKILL a random worker's whole process group (worker and embedded beat); start it again."""
        n = rng.randrange(self.count)
        stop_group(self.processes[n], sig=signal.SIGKILL)
        self.processes[n] = self._start(n)
        self.kills += 1
        return n

    def keep_alive(self) -> None:
        for n, process in enumerate(self.processes):
            if process.poll() is not None:
                self.deaths += 1
                self.processes[n] = self._start(n)

    def stop(self) -> None:
        for process in self.processes:
            stop_group(process)

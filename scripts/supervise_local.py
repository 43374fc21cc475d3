"""Run the local portal's three processes (web server, Celery worker, Celery beat) and look after them.

`scripts/run_local.sh` (`make run`) migrates and loads the demo data, then hands over to this:
- a worker or beat that stops by itself is started again, saying so, up to RESTARTS times within
  RESTART_WINDOW seconds; past that, or when the web server stops, everything is stopped with a
  message that says which process stopped and what to do;
- Ctrl-C (or a TERM) stops all three: each gets one TERM, and whatever is still running after
  STOP_SECONDS is killed, saying so. The children run in their own sessions, so the terminal's
  Ctrl-C reaches this supervisor only (Celery takes a second signal as "stop now"), and each is
  told to stop should the supervisor itself die.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess  # nosec B404  # starts the portal's own processes, with fixed arguments
import sys
import time
from collections import deque
from dataclasses import dataclass, field

RESTARTS = 3
RESTART_WINDOW = 60.0
STOP_SECONDS = 10.0
POLL_SECONDS = 0.5
STOPPING = "Stopping the portal, worker and beat…"


def restarting_message(*, name: str, code: int, restarts: int) -> str:
    return f"The {name} stopped (exit code {code}): starting it again ({restarts} of {RESTARTS} restarts a minute)."


def stopped_for_good_message(*, name: str, code: int) -> str:
    return (
        f"The {name} stopped (exit code {code}): stopping the worker and beat too. "
        "Its error is above; fix it (or free the port), then run `make run` again."
    )


@dataclass
class Child:
    name: str  # as people call it: "web server", "Celery worker", "Celery beat"
    command: list[str]
    restartable: bool
    process: subprocess.Popen[bytes] | None = None
    restarts: deque[float] = field(default_factory=deque)

    def start(self) -> None:
        # The commands are this script's own (python, celery), not input.
        self.process = subprocess.Popen(  # noqa: S603  # nosec B603
            self.command, start_new_session=True, preexec_fn=_die_with_parent
        )
        say(f"{self.name} started (pid {self.process.pid}).")


def say(text: str) -> None:
    print(f"[make run] {text}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    """Have the kernel send TERM to this child when the supervisor dies (Linux' PR_SET_PDEATHSIG)."""
    # Not Linux: a supervisor killed with KILL leaves its children to Ctrl-C.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


def children(python: str, celery: str, address: str) -> list[Child]:
    """The three processes, as `make run` starts them."""
    worker = [celery, "-A", "channels_portal", "worker", "--loglevel=info", "--concurrency=2", "--hostname=worker@%h"]
    if os.environ.get("CELERY_BROKER_URL", "filesystem://").startswith("filesystem://"):
        # The file broker carries no broadcasts: no start-up handshake, gossip or heartbeats.
        worker += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    return [
        # --noreload: one process, which a TERM really stops.
        Child("web server", [python, "manage.py", "runserver", "--noreload", address], restartable=False),
        Child("Celery worker", worker, restartable=True),
        Child("Celery beat", [celery, "-A", "channels_portal", "beat", "--loglevel=info"], restartable=True),
    ]


def stop_all(procs: list[Child]) -> None:
    running = [c for c in procs if c.process is not None and c.process.poll() is None]
    for child in running:
        assert child.process is not None
        child.process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for child in running:
        assert child.process is not None
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            say(f"The {child.name} did not stop within {STOP_SECONDS:.0f} s of a TERM: killed.")
            child.process.kill()
            child.process.wait()


def supervise(procs: list[Child]) -> int:
    """Start the children and look after them; return the exit code of `make run`."""
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for child in procs:
        child.start()
    while not stopping:
        time.sleep(POLL_SECONDS)
        for child in procs:
            assert child.process is not None
            code = child.process.poll()
            if code is None or stopping:
                continue
            if not child.restartable:
                say(stopped_for_good_message(name=child.name, code=code))
                stop_all(procs)
                return 1
            now = time.monotonic()
            while child.restarts and now - child.restarts[0] > RESTART_WINDOW:
                child.restarts.popleft()
            if len(child.restarts) >= RESTARTS:
                say(
                    f"The {child.name} stopped {RESTARTS + 1} times within {RESTART_WINDOW:.0f} s (last exit "
                    f"code {code}): stopping the portal. Its error is above; fix it, then run `make run` again."
                )
                stop_all(procs)
                return 1
            child.restarts.append(now)
            say(restarting_message(name=child.name, code=code, restarts=len(child.restarts)))
            child.start()
    say(STOPPING)
    stop_all(procs)
    return 0


def main() -> int:
    python, celery, address = sys.argv[1:4]
    return supervise(children(python, celery, address))


if __name__ == "__main__":
    sys.exit(main())

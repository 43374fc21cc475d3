"""CPU time of process trees, read from /proc (Linux only, no dependency).

A tree's CPU is each live process's user + system time plus the time of the children it has
already reaped (cutime + cstime), so a forked child that exited is still counted. PostgreSQL is
measured as its whole server (the postmaster reaps every backend): other databases of the same
server are included, so that figure is only clean on an otherwise idle server.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def tree_seconds(pid: int, *, tree: dict[int, list[int]] | None = None) -> float:
    """Return the CPU seconds used so far by `pid`, its live descendants and their reaped children."""
    tree = _children() if tree is None else tree
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        fields = _stat(current)
        if fields is None:
            continue
        # Fields 14-17 of stat (utime, stime, cutime, cstime), counted from 1 with pid and comm.
        total += sum(int(value) for value in fields[11:15])
        stack.extend(tree.get(current, []))
    return total / TICKS


def postmaster_pid() -> int | None:
    """Return the pid of the PostgreSQL server on this machine (its oldest `postgres` process)."""
    candidates = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            try:
                name = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:
                continue
            if fields and name in ("postgres", "postmaster") and _stat(int(fields[1])) is not None:
                parent = Path(f"/proc/{fields[1]}/comm").read_text().strip()
                if parent not in ("postgres", "postmaster"):
                    candidates.append(int(entry))
    return min(candidates) if candidates else None


def machine_busy_seconds() -> float:
    """Return the CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


class CpuMeter:
    """CPU seconds of named process trees between `start()` and `stop()`."""

    def __init__(self, trees: dict[str, list[int]]):
        self.trees = trees
        self.before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        tree = _children()
        values = {name: sum(tree_seconds(pid, tree=tree) for pid in pids) for name, pids in self.trees.items()}
        values["machine"] = machine_busy_seconds()
        return values

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.used = {name: after[name] - self.before[name] for name in after}
        return self.used


def reference_seconds() -> float:
    """Return the CPU seconds this process takes for a fixed reference workload: the sum of the
    squares below 3,000,000, then 200,000 `json.dumps` of a small dict.

    The same code measured 1.56 ms of worker CPU per invoice on one machine and 4.44 ms on another
    a day later: a figure divided by this one (ms per reference second) compares across machines
    and across a busy and a quiet day. Run it in the same run as the figures it normalises.
    """
    import json
    import time

    started = time.process_time()
    total = 0
    for n in range(3_000_000):
        total += n * n
    record = {"invoice": "INV-0001", "total": "24.00", "lines": [1, 2, 3], "paid": False}
    for _ in range(200_000):
        json.dumps(record)
    assert total > 0
    return time.process_time() - started

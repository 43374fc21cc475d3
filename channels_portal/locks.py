"""Named locks shared by every process of the portal, held without an open transaction.

A transaction kept open across a call to Xero would, on SQLite (the local portal), hold the
database file's write lock and block the Xero sandbox served from the same file. So work that
must run one process at a time while it talks to Xero takes one of these locks instead:
a PostgreSQL session advisory lock, or a file lock on SQLite.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connection


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextlib.contextmanager
def named_lock(name: str, *, wait: bool = True) -> Iterator[bool]:
    """Hold the lock `name` for the block and yield True; with wait=False yield False at once
    (holding nothing) when another process has it."""
    if connection.vendor == "postgresql":
        with _advisory_lock(_advisory_key(name), wait=wait) as taken:
            yield taken
        return
    with _file_lock(name, wait=wait) as taken:
        yield taken


@contextlib.contextmanager
def _advisory_lock(key: int, *, wait: bool) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)" if wait else "SELECT pg_try_advisory_lock(%s)", [key])
        row = cursor.fetchone()
    taken = True if wait else bool(row and row[0])
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextlib.contextmanager
def _file_lock(name: str, *, wait: bool) -> Iterator[bool]:
    lock_dir = settings.LOCAL_DIR / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    safe = hashlib.sha256(name.encode()).hexdigest()[:32]
    with open(lock_dir / f"{safe}.lock", "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)

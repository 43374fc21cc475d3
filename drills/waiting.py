"""Waiting for what another process does (tests, drills, benchmarks): poll a condition until it holds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.2, what: str = "") -> T:
    """Return the first truthy value of `condition()`, asking every `interval` seconds; fail the
    test (AssertionError naming `what`) when none came within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout:g} s: {what or getattr(condition, '__name__', 'condition')}")
        time.sleep(interval)

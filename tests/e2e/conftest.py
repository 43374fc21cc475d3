"""Fixtures of the browser tests: screenshots of each step, kept as test artifacts."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def artifacts_dir() -> Path:
    """Where screenshots go: `E2E_ARTIFACTS`, else `.local/e2e-artifacts/` of the checkout (gitignored)."""
    configured = os.environ.get("E2E_ARTIFACTS", "")
    return Path(configured) if configured else ROOT / ".local" / "e2e-artifacts"


@pytest.fixture
def shot(request, page) -> Callable[[str], Path]:
    """`shot("step-name")` saves a full-page screenshot of the test's page as
    `<artifacts>/<test name>/<NN>-step-name.png` and returns its path."""
    folder = artifacts_dir() / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    steps = itertools.count(1)

    def take(name: str) -> Path:
        path = folder / f"{next(steps):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

"""Drill 1 in reduced form: 300 invoices of 4 organisations, one worker SIGKILL, Redis and
PostgreSQL restarted once each, 20% of write answers dropped after commit (10% in the full drill: more
here so that a drop surely happens in a few dozen writes), 5xx and a 429 storm, with half the
sandboxes ignoring Idempotency-Key. Runs `drills/crash.py` as a merchant's operator would (its
own private PostgreSQL and Redis: the shared ones are never restarted) and reads its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.services]


def test_nothing_is_lost_duplicated_or_stuck_after_kills_restarts_and_faults():
    command = [sys.executable, str(ROOT / "drills" / "crash.py"), "--invoices", "300", "--orgs", "4", "--kills", "1",
               "--rate", "40", "--drop", "0.2", "--storm-seconds", "6", "--drain-timeout", "120", "--json"]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    output = result.stdout + result.stderr
    assert result.stdout.strip(), output
    figures = json.loads(result.stdout.strip().splitlines()[-1])

    assert (figures["created"], figures["lost"], figures["duplicated"], figures["stuck"]) == (300, 0, 0, 0), output
    assert figures["synced"] + figures["failed"] == 300, output
    assert figures["settled"], output
    assert result.returncode == 0, output
    # The faults did happen: a kill, lost answers resolved by a look-up, 5xx and 429s answered.
    assert figures["kills"] == 1
    events = " ".join(figures["events"])
    assert "Redis started" in events and "PostgreSQL started" in events
    assert figures["honoured"]["answers_dropped"] + figures["ignored"]["answers_dropped"] > 0, output
    assert figures["honoured"]["answers_429"] + figures["ignored"]["answers_429"] > 0, output
    assert figures["honoured"]["created"] == figures["ignored"]["created"] == 150

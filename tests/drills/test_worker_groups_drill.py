"""Two worker groups, as if on two machines (own processes, hostnames and queues on their command
lines), drain one backlog of 400 invoices of 4 organisations; one group is SIGKILLed when a third
is in Xero. Runs `drills/worker_groups.py` as an operator would and reads its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.services]


def test_losing_one_of_two_worker_groups_mid_run_loses_duplicates_and_stalls_nothing():
    command = [sys.executable, str(ROOT / "drills" / "worker_groups.py"), "--invoices", "400", "--orgs", "4",
               "--kill-at", "0.33", "--lease", "10", "--drain-timeout", "150", "--json"]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.stdout.strip(), output
    figures = json.loads(result.stdout.strip().splitlines()[-1])

    assert (figures["created"], figures["synced"]) == (400, 400), output
    assert (figures["lost"], figures["duplicated"], figures["stuck"]) == (0, 0, 0), output
    assert result.returncode == 0, output
    # Both groups worked before one was lost, and the kill came mid-run, not after the end.
    assert all(seconds > 0.1 for seconds in figures["cpu_before_kill"].values()), output
    assert 100 <= figures["in_xero_at_kill"] < 400, output
    # What the lost group held came back within its lease and the sweep: no long stall.
    assert figures["longest_stall_s"] < 60, output

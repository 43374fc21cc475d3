"""The import contracts (`[tool.importlinter]` in pyproject.toml) hold: `lint-imports` keeps every one.

`make lint`, `.ci/run` and the pre-commit hook run the same command; this test makes `make test`
enforce the contracts too. It runs the venv's `lint-imports` from the checkout's root, as a
developer does, and reads its report: each contract of pyproject.toml must be listed as KEPT.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return [contract["name"] for contract in config["contracts"]]


def _verdict(flat_report: str, name: str) -> str:
    for verdict in ("KEPT", "BROKEN"):
        if f"{name} {verdict}" in flat_report:
            return verdict
    return "not in the report"


def test_every_import_contract_is_kept():
    names = _contract_names()
    assert len(names) >= 7, names
    answer = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = answer.stdout + answer.stderr
    # lint-imports wraps long lines; one space between words reads the report whatever the width.
    flat = re.sub(r"\s+", " ", report)
    not_kept = {name: _verdict(flat, name) for name in names if _verdict(flat, name) != "KEPT"}
    broken_section = report[report.find("Broken contracts") :] if "Broken contracts" in report else report[-3000:]
    assert not not_kept, f"import contracts not kept: {not_kept}\n{broken_section}"
    assert f"Contracts: {len(names)} kept, 0 broken." in flat, report[-3000:]
    assert answer.returncode == 0, report[-3000:]

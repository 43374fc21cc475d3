#!/usr/bin/env python
"""pip-audit over requirements.txt and requirements-dev.txt, read so that it never passes silently.

pip-audit looks each pinned dependency up in PyPI's vulnerability data (the per-version JSON API).
Where that data cannot be reached (a mirror without it, no network), pip-audit skips each
dependency with "could not be audited" and still prints "No known vulnerabilities found". This
script reads pip-audit's JSON and says which happened:

- a known vulnerability in any dependency: listed, exit 1 (fix it, or add its id to IGNORED with
  the reason);
- every dependency audited and none vulnerable: exit 0;
- some or all dependencies could not be audited: said loudly, with the count and pip-audit's reason;
  exit 0 (the gate degrades, visibly), or exit 1 when REQUIRE_DEPENDENCY_AUDIT=1.

    .venv/bin/python scripts/dependency_audit.py
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404  # runs pip-audit with a fixed argument list
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Vulnerability ids accepted on purpose, each with its reason: {"PYSEC-2024-1": "why it does not apply"}.
IGNORED: dict[str, str] = {}


def main() -> int:
    command = [str(ROOT / ".venv/bin/pip-audit"), "-r", "requirements.txt", "-r", "requirements-dev.txt",
               "-f", "json", "--progress-spinner", "off"]  # fmt: skip
    for vuln_id in IGNORED:
        command += ["--ignore-vuln", vuln_id]
    required = os.environ.get("REQUIRE_DEPENDENCY_AUDIT") == "1"
    answer = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)  # noqa: S603  # nosec B603  # fixed arguments
    try:
        report = json.loads(answer.stdout)
    except ValueError:
        print(f"pip-audit did not run to the end (exit {answer.returncode}): {answer.stderr.strip()[-800:]}")
        print("DEPENDENCY AUDIT NOT DONE.")
        return 1 if required else 0
    dependencies = report.get("dependencies", [])
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    audited = len(dependencies) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    print(f"pip-audit: {len(dependencies)} dependencies; audited {audited}; could not be audited {len(skipped)}; "
          f"vulnerable {len(vulnerable)}; ignored on purpose {len(IGNORED)}")  # fmt: skip
    if vulnerable:
        return 1
    if skipped:
        print(f"DEPENDENCY AUDIT INCOMPLETE: {len(skipped)} of {len(dependencies)} dependencies could not be "
              f"checked against PyPI's vulnerability data from this machine, e.g. {skipped[0]['skip_reason']!r}. "
              "No vulnerability was found, but these were not looked at.")  # fmt: skip
        return 1 if required else 0
    print("Dependency audit: no known vulnerability.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

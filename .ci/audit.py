#!/usr/bin/env python3
"""Audit the locked dependencies (requirements.lock) for known vulnerabilities: `make audit`.

pip-audit runs from a virtualenv of its own (.venv-audit, pins in .ci/audit.lock), so the
tool and its dependencies never enter the project's environment. It checks the exact
versions of requirements.lock (`--no-deps`, nothing is installed or resolved) against the
vulnerability data of the package index (`-s pypi`).

What fails the run, and what does not:
- a known vulnerability in a locked version: exit 1, always;
- the vulnerability service cannot be reached, or answers for none of the packages (a
  mirror without the JSON API does that): a loud WARNING and exit 0, because a network
  hiccup must not block landing a change; RELATE_AUDIT_STRICT=1 makes it exit 1 instead
  (for a scheduled job that must know);
- some packages could not be looked up: listed as a warning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-audit"
TOOL = "pip-audit==2.10.1"
STRICT = os.environ.get("RELATE_AUDIT_STRICT") == "1"


def say(message: str) -> None:
    print(f"audit: {message}", flush=True)


def unavailable(reason: str) -> int:
    say(f"WARNING: could not audit the dependencies ({reason}).")
    say("WARNING: no vulnerability data was checked" + ("; failing (RELATE_AUDIT_STRICT=1)." if STRICT else
                                                      "; not failing the run for it (set RELATE_AUDIT_STRICT=1 to)."))
    return 1 if STRICT else 0


def ensure_tool() -> Path | None:
    binary = VENV / "bin" / "pip-audit"
    if binary.exists():
        return binary
    python = sys.executable
    steps = [[python, "-m", "venv", str(VENV)],
             [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "-c", str(ROOT / ".ci" / "audit.lock"), TOOL]]
    for step in steps:
        if subprocess.run(step, cwd=ROOT).returncode != 0:
            return None
    return binary if binary.exists() else None


def run(binary: Path) -> tuple[dict | None, str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = subprocess.run(
            [str(binary), "--no-deps", "--disable-pip", "-r", str(ROOT / "requirements.lock"), "-s", "pypi",
             "--progress-spinner", "off", "-f", "json", "-o", str(report)],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )
        data = json.loads(report.read_text()) if report.exists() and report.stat().st_size else None
    return data, (done.stderr or "").strip().splitlines()[-1:][0] if done.stderr.strip() else ""


def main() -> int:
    binary = ensure_tool()
    if binary is None:
        return unavailable(f"{TOOL} could not be installed")
    data, error = run(binary)
    if data is None:
        time.sleep(10)  # one retry: most failures are a moment's network trouble
        data, error = run(binary)
    if data is None:
        return unavailable(error or "pip-audit wrote no report")
    dependencies = data.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    if vulnerable:
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                say(f"VULNERABLE {dep['name']} {dep.get('version')}: {vuln.get('id')} (fixed in: {fixes})")
        say(f"{len(vulnerable)} locked dependencies have known vulnerabilities: upgrade them in requirements.lock")
        return 1
    if audited == 0:
        return unavailable(f"the index answered for none of the {len(dependencies)} locked packages")
    if skipped:
        say(f"WARNING: not audited: {', '.join(d['name'] for d in skipped)}")
    say(f"{audited} locked dependencies audited: no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())

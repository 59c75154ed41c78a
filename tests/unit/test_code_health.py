"""Names the interpreter would only trip over at run time: an undefined name in a branch
no test reached (a busy-database retry, a benchmark) fails here, on every change, instead of
in production. Ruff's pyflakes rules, on everything the project runs.

F811 (a redefined name) is left out: pytest fixtures are parameters that shadow their
imported definitions by design."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = "F401,F541,F821,F822,F823,F841"
CHECKED = ["graph", "schema", "resolvers", "server", "subscriptions", "scripts", "bench", "tests"]


def test_no_undefined_or_unused_names() -> None:
    found = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", RULES,
         "--output-format", "concise", *CHECKED],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stdout + found.stderr

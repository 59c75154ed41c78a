"""Starting Relate for a benchmark: a free port, and the `relate` CLI run as a subprocess.

Shared by the benchmarks that serve Relate in processes of its own (compare, live,
sqlite_writes), so each measures the same way.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port free now; the server binds it a moment later (fine for a benchmark)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def relate(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run `relate ARGS` with `env`; its output, or exit with its error."""
    done = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"relate {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip()

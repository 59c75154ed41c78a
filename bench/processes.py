"""Starting Relate for a benchmark: a free port, the `relate` CLI, and `relate serve`, as subprocesses.

Shared by the benchmarks that serve Relate in processes of its own (compare, live,
sqlite_writes), so each measures the same way.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

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


@contextlib.contextmanager
def served(env: dict[str, str], port: int, log: Path, *serve_args: str) -> Iterator[tuple[str, int]]:
    """`relate serve` on 127.0.0.1:`port` with `env` (output to `log`), once /healthz answers:
    its base URL and process id; stopped on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the server exited:\n{log.read_text(errors='replace')[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not answer within 120 s")
                time.sleep(0.2)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

"""One load tool for every server the benchmarks compare: `wrk` when it is installed, else a
small asyncio client.

Both send the same GraphQL POST over and over on a fixed number of keep-alive
connections for a fixed time, and report requests per second and the latency median and
99th percentile. `wrk` (C, one thread) is preferred: on a small machine a Python client
would take a good part of the CPU the servers need, and would favour neither server but
flatten both. Every answer is checked before and after a run (status 200, no GraphQL
errors, the expected page), and `wrk` counts non-2xx answers and socket errors, so a fast
error page can never pass for a fast server.

    python -m bench.load http://127.0.0.1:8000/graphql '{ viewer { user { fullName } } }' \\
        --header 'Authorization: Bearer …' --duration 10 --connections 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

RESULT_PREFIX = "RELATE-LOAD"


@dataclass(frozen=True)
class Target:
    """One GraphQL request to repeat."""

    url: str
    query: str
    variables: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def body(self) -> str:
        payload: dict[str, Any] = {"query": self.query}
        if self.variables:
            payload["variables"] = self.variables
        return json.dumps(payload, separators=(",", ":"))

    @property
    def all_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", **dict(self.headers)}


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua(target: Target) -> str:
    """wrk's script: the POST, and a last line the caller parses (latencies in µs)."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(target.body)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in target.all_headers.items()]
    lines.append(
        "done = function(summary, latency, requests)\n"
        "  local e = summary.errors\n"
        f'  io.write(string.format("{RESULT_PREFIX} %d %d %d %d %d\\n", summary.requests, summary.duration,\n'
        "    latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))\n"
        "end"
    )
    return "\n".join(lines) + "\n"


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def run_wrk(target: Target, *, duration: float, connections: int, threads: int = 1) -> Measured:
    with tempfile.TemporaryDirectory(prefix="relate-load-") as directory:
        script = Path(directory) / "post.lua"
        script.write_text(_lua(target))
        completed = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
             "-s", str(script), target.url],
            capture_output=True, text=True, timeout=duration + 60,
        )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            requests, micros, p50, p99, errors = (int(x) for x in line.split()[1:])
            return Measured(requests, micros / 1e6, p50 / 1000, p99 / 1000, errors, "wrk")
    raise RuntimeError(f"wrk printed no result: {completed.stdout}\n{completed.stderr}")


async def run_python(target: Target, *, duration: float, connections: int) -> Measured:
    """The fallback: `connections` clients in one event loop, each on its own connection."""
    timings: list[float] = []
    errors = 0
    body = target.body.encode()
    headers = target.all_headers
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        stop = time.perf_counter() + duration

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    response = await client.post(target.url, content=body, headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    timings.append(time.perf_counter() - started)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(connections)))
        seconds = time.perf_counter() - began
    if not timings:
        return Measured(0, seconds, 0.0, 0.0, errors, "python")
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return Measured(len(timings), seconds, statistics.median(ordered) * 1000, p99 * 1000, errors, "python")


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def measure(target: Target, *, duration: float, connections: int, tool: str = "auto") -> Measured:
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return run_wrk(target, duration=duration, connections=connections)
    return asyncio.run(run_python(target, duration=duration, connections=connections))


def fetch(target: Target) -> dict[str, Any]:
    """One request; the decoded answer, or an error naming what came back."""
    response = httpx.post(target.url, content=target.body.encode(), headers=target.all_headers, timeout=60)
    if response.status_code != 200:
        raise RuntimeError(f"{target.url}: HTTP {response.status_code}: {response.text[:500]}")
    data: dict[str, Any] = response.json()
    if data.get("errors"):
        raise RuntimeError(f"{target.url}: {json.dumps(data['errors'])[:500]}")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("query")
    parser.add_argument("--variables", type=json.loads, default=None)
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    headers = tuple(tuple(part.strip() for part in h.split(":", 1)) for h in args.header)
    target = Target(args.url, args.query, args.variables, headers)  # type: ignore[arg-type]
    fetch(target)
    result = measure(target, duration=args.duration, connections=args.connections, tool=args.tool)
    print(f"{result.per_second:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
          f"{result.errors} errors ({result.tool}, {result.requests} requests in {result.seconds:.1f} s)")


if __name__ == "__main__":
    main()

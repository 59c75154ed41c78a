"""One load tool for every server the benchmarks compare: `wrk` when it is installed, else a
small asyncio client.

Both send GraphQL POSTs on a fixed number of keep-alive connections for a fixed time and
report requests per second, the latency median and 99th percentile, the responses the
response cache marked as hits or misses (`X-Relate-Cache`), and the load tool's own CPU.
A `Workload` is a list of calls sent in turn: one call repeated (what a response cache
answers from memory), or a rotation over many records and viewers (what it mostly
cannot). `wrk` (C, one thread) is preferred: on a small machine a Python client would take
a good part of the CPU the servers need, and would favour neither server but flatten both.
Every answer under load is checked (status 200, no GraphQL error, no mutation payload
error), as are socket errors, so a fast error page can never pass for a fast server.

    python -m bench.load http://127.0.0.1:8000/graphql '{ viewer { user { fullName } } }' \\
        --header 'Authorization: Bearer …' --duration 10 --connections 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
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
CACHE_HEADER = "x-relate-cache"
# A GraphQL error, or a mutation payload's non-empty `errors`, in a compact JSON answer.
ERROR_MARK = '"errors":[{'


@dataclass(frozen=True)
class Call:
    """One GraphQL POST: its JSON body, its headers, whether it writes."""

    body: str
    headers: tuple[tuple[str, str], ...] = ()
    writes: bool = False

    @property
    def all_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", **dict(self.headers)}


def call(query: str, variables: dict[str, Any] | None = None, headers: tuple[tuple[str, str], ...] = (),
         *, writes: bool = False) -> Call:
    payload: dict[str, Any] = {"query": query}
    if variables:
        payload["variables"] = variables
    return Call(json.dumps(payload, separators=(",", ":")), headers, writes)


@dataclass(frozen=True)
class Workload:
    """The calls a load run sends, in turn, over and over: one call repeated, or a rotation
    over many records and viewers (a response cache then answers only what really repeats)."""

    url: str
    calls: tuple[Call, ...]

    @property
    def writes(self) -> int:
        return sum(1 for c in self.calls if c.writes)


@dataclass(frozen=True)
class Target:
    """One GraphQL request to repeat."""

    url: str
    query: str
    variables: dict[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def body(self) -> str:
        return call(self.query, self.variables).body

    @property
    def all_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", **dict(self.headers)}

    def workload(self) -> Workload:
        return Workload(self.url, (Call(self.body, self.headers),))


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    cache_hits: int = 0
    cache_misses: int = 0
    load_cpu_seconds: float = 0.0  # the load tool's own CPU
    sent: int = 0  # requests sent, answered or not: where the next run's rotation starts

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua(workload: Workload, calls_file: Path) -> str:
    """wrk's script: each connection's next request is the rotation's next call (one thread,
    one rotation, starting at the offset given as the script's argument); answers are
    checked for GraphQL errors and the cache's header is counted; the last line is what the
    caller parses (latencies in µs)."""
    return f"""
local calls = {{}}
local n, i = 0, 0
hits, misses, bad, sent = 0, 0, 0, 0
local threads = {{}}

function setup(thread) table.insert(threads, thread) end

function init(args)
  for line in io.lines({_lua_string(str(calls_file))}) do
    local tab1 = line:find("\\t", 1, true)
    local tab2 = line:find("\\t", tab1 + 1, true)
    local headers = {{["Content-Type"] = "application/json"}}
    for pair in line:sub(1, tab1 - 1):gmatch("[^\\31]+") do
      local colon = pair:find(":", 1, true)
      headers[pair:sub(1, colon - 1)] = pair:sub(colon + 1)
    end
    n = n + 1
    calls[n] = wrk.format("POST", nil, headers, line:sub(tab2 + 1))
  end
  i = tonumber(args[1] or "0") % n
end

function request()
  sent = sent + 1
  i = i % n + 1
  return calls[i]
end

function response(status, headers, body)
  local cache = headers["{CACHE_HEADER}"] or headers["X-Relate-Cache"]
  if cache == "hit" then hits = hits + 1 elseif cache == "miss" then misses = misses + 1 end
  if status ~= 200 or body:find({_lua_string(ERROR_MARK)}, 1, true) then bad = bad + 1 end
end

function done(summary, latency, requests)
  local h, m, b, s = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    h = h + t:get("hits"); m = m + t:get("misses"); b = b + t:get("bad"); s = s + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format("{RESULT_PREFIX} %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout + b, h, m, s))
end
"""


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _calls_file(workload: Workload, path: Path) -> None:
    """One call a line: headers (name:value, separated by \\x1f), a tab, writes?, a tab, the body."""
    lines = []
    for c in workload.calls:
        if any("\t" in k + v or "\x1f" in k + v or "\n" in k + v for k, v in c.headers) or "\n" in c.body:
            raise ValueError("a header or body the call file cannot hold")
        headers = "\x1f".join(f"{k}:{v}" for k, v in c.headers)
        lines.append(f"{headers}\t{int(c.writes)}\t{c.body}")
    path.write_text("\n".join(lines) + "\n")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(workload: Workload, *, duration: float, connections: int, offset: int = 0) -> Measured:
    with tempfile.TemporaryDirectory(prefix="relate-load-") as directory:
        calls = Path(directory) / "calls.txt"
        _calls_file(workload, calls)
        script = Path(directory) / "post.lua"
        script.write_text(_lua(workload, calls))
        cpu_before = _children_cpu()
        completed = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
             "-s", str(script), workload.url, "--", str(offset)],
            capture_output=True, text=True, timeout=duration + 60,
        )
        load_cpu = _children_cpu() - cpu_before
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            requests, micros, p50, p99, errors, hits, misses, sent = (int(x) for x in line.split()[1:])
            return Measured(requests, micros / 1e6, p50 / 1000, p99 / 1000, errors, "wrk", hits, misses, load_cpu,
                            sent)
    raise RuntimeError(f"wrk printed no result: {completed.stdout}\n{completed.stderr}")


async def run_python(workload: Workload, *, duration: float, connections: int, offset: int = 0) -> Measured:
    """The fallback: `connections` clients in one event loop, each on its own connection,
    taking the rotation's calls in turn."""
    timings: list[float] = []
    errors = hits = misses = 0
    calls = [(c.body.encode(), c.all_headers) for c in workload.calls]
    position = offset
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    cpu_before = time.process_time()
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        stop = time.perf_counter() + duration

        async def one_client() -> None:
            nonlocal errors, hits, misses, position
            while time.perf_counter() < stop:
                body, headers = calls[position % len(calls)]
                position += 1
                started = time.perf_counter()
                try:
                    response = await client.post(workload.url, content=body, headers=headers)
                    ok = response.status_code == 200 and ERROR_MARK.encode() not in response.content
                    cache = response.headers.get(CACHE_HEADER)
                    hits += cache == "hit"
                    misses += cache == "miss"
                except httpx.HTTPError:
                    ok = False
                if ok:
                    timings.append(time.perf_counter() - started)
                else:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(connections)))
        seconds = time.perf_counter() - began
    load_cpu = time.process_time() - cpu_before
    sent = position - offset
    if not timings:
        return Measured(0, seconds, 0.0, 0.0, errors, "python", hits, misses, load_cpu, sent)
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return Measured(len(timings), seconds, statistics.median(ordered) * 1000, p99 * 1000, errors, "python",
                    hits, misses, load_cpu, sent)


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def measure(load: Workload | Target, *, duration: float, connections: int, tool: str = "auto",
            offset: int = 0) -> Measured:
    """Drive `load` for `duration` seconds; a rotation starts at call `offset` (continue where
    the last run stopped, so a warm-up never primes a cache for the run that follows)."""
    workload = load.workload() if isinstance(load, Target) else load
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return run_wrk(workload, duration=duration, connections=connections, offset=offset)
    return asyncio.run(run_python(workload, duration=duration, connections=connections, offset=offset))


def fetch(target: Target | Workload, index: int = 0) -> dict[str, Any]:
    """One request (a workload's call `index`); the decoded answer, or an error naming what came back."""
    workload = target.workload() if isinstance(target, Target) else target
    chosen = workload.calls[index % len(workload.calls)]
    response = httpx.post(workload.url, content=chosen.body.encode(), headers=chosen.all_headers, timeout=60)
    if response.status_code != 200:
        raise RuntimeError(f"{workload.url}: HTTP {response.status_code}: {response.text[:500]}")
    data: dict[str, Any] = response.json()
    if data.get("errors") or ERROR_MARK in response.text:
        raise RuntimeError(f"{workload.url}: {response.text[:500]}")
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

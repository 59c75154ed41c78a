"""SQLite write latency under concurrent writers, against a real server.

    python -m bench.sqlite_writes                     # with the write queue, then without
    python -m bench.sqlite_writes --only queue --writers 20 --writes 10

For each variant: a fresh SQLite database in a temporary directory (`relate migrate`,
`relate seed --demo`, a token for a salesperson), `relate serve` on a free port with the
rate limit off, then `--writers` clients that each send `--writes` `createTask` mutations
one after another, all at once. Every answer is checked: a write either succeeds (no
payload errors) or is counted by its error code (HTTP status when there is no GraphQL
answer). Printed per variant: writes, failures by code, p50 / p99 / max latency and the
share over one second.

The variants differ only in `RELATE_SQLITE_WRITE_WAIT_SECONDS`: `queue` is the default (the
process's writers take turns on one lock before BEGIN IMMEDIATE); `no-queue` sets it to 0,
so every writer goes straight to BEGIN IMMEDIATE and SQLite's busy handler decides who
goes next, as before the queue existed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.processes import free_port, relate, served

ROOT = Path(__file__).resolve().parents[1]
CREATE_TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { errors { code } task { id } } }"
VARIANTS = {"queue": {}, "no-queue": {"RELATE_SQLITE_WRITE_WAIT_SECONDS": "0"}}


@dataclass(frozen=True)
class Result:
    variant: str
    latencies_ms: list[float]
    failures: Counter[str]

    def row(self) -> str:
        ordered = sorted(self.latencies_ms)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        slow = sum(1 for v in ordered if v > 1000) / len(ordered) * 100
        failed = ", ".join(f"{code} {n}" for code, n in sorted(self.failures.items())) or "none"
        return (f"{self.variant:9} {len(ordered):7} {p50:9.1f} {p99:9.1f} {ordered[-1]:9.1f} "
                f"{slow:8.1f} %  failures: {failed}")


@contextlib.contextmanager
def server(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    with served(env, port, log) as (base, _):
        yield base


async def writer(base: str, token: str, n: int, writes: int, start: asyncio.Event,
                 latencies: list[float], failures: Counter[str], timeout: float) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
        await start.wait()
        for k in range(writes):
            body = {"query": CREATE_TASK, "variables": {"input": {"subject": f"bench {n}.{k}"}}}
            began = time.perf_counter()
            try:
                response = await client.post("/graphql", json=body, headers=headers)
            except httpx.HTTPError as exc:
                failures[type(exc).__name__] += 1
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            try:
                answer = response.json()
            except ValueError:
                failures[f"HTTP {response.status_code}"] += 1
                continue
            errors = answer.get("errors") or ((answer.get("data") or {}).get("createTask") or {}).get("errors")
            if errors:
                failures[str(errors[0].get("code") or errors[0].get("extensions", {}).get("code"))] += 1


async def measure(base: str, token: str, writers: int, writes: int, timeout: float) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    start = asyncio.Event()
    tasks = [asyncio.create_task(writer(base, token, n, writes, start, latencies, failures, timeout))
             for n in range(writers)]
    await asyncio.sleep(0.2)  # every client ready before the first write
    start.set()
    await asyncio.gather(*tasks)
    return latencies, failures


def run(variant: str, args: argparse.Namespace) -> Result:
    with tempfile.TemporaryDirectory(prefix="relate-sqlite-writes-") as workdir:
        env = {**os.environ, "RELATE_DATABASE_URL": f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}",
               "RELATE_FILE_STORE_DIR": str(Path(workdir) / "files"), "RELATE_RATE_LIMIT_PER_SECOND": "0",
               "RELATE_LOG_LEVEL": "WARNING", "RELATE_LOG_FORMAT": "text", **VARIANTS[variant]}
        relate(env, "migrate")
        relate(env, "seed", "--demo")
        token = relate(env, "token", "create", "sales1@demo.relate")
        with server(env, free_port(), Path(workdir) / "serve.log") as base:
            latencies, failures = asyncio.run(measure(base, token, 2, 3, args.timeout))  # warm-up
            latencies, failures = asyncio.run(measure(base, token, args.writers, args.writes, args.timeout))
    return Result(variant, latencies, failures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=20, help="concurrent clients")
    parser.add_argument("--writes", type=int, default=10, help="createTask calls per client, one after another")
    parser.add_argument("--only", choices=sorted(VARIANTS), help="run one variant only")
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout per request, seconds")
    args = parser.parse_args()
    variants = [args.only] if args.only else ["queue", "no-queue"]
    results = [run(v, args) for v in variants]
    print(f"SQLite writes: {args.writers} concurrent writers x {args.writes} createTask each, one server process")
    print(f"{'variant':9} {'writes':>7} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'> 1 s':>10}")
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()

"""Timeline benchmark (R-TL-3): does a roll-up page cost the same at 10k and at 1M activities?

For each size, a fresh database (SQLite in a temp file; PostgreSQL in a schema of its own,
dropped afterwards when `--database-url` is given) gets 100 users, one account with 1,000
contacts and N activities (80 % about the contacts, 20 % about the account), written in
bulk by `bench/datagen.py`. The real app is then served in-process (httpx ASGI transport)
and the account's RELATED timeline first page (50 entries, owner and createdBy nested,
totalCount) is requested sequentially: warm-up first, then a fixed number of timed
requests. Printed per database: p50, p99, req/s, SQL statements per request, CPU ms per
request (this process — client, app and SQLite's thread — plus, on PostgreSQL, the
backends of its database), the 1M/10k p50 ratio (goal ≤ 1.3), and how long generation took.

Each database is served twice, by the same app with and without its compiled read path
(`compiled_reads`, docs/compiled-reads.md): `executed` is the page executed field by
field by Strawberry, as before the compiled path existed; `compiled` is what Relate serves
by default. Both answer the same query against the same rows, alternated, so the rows of
one run are the before and after of that change on this machine, at this moment.

    python -m bench.timeline                       # SQLite, 10k and 1M
    python -m bench.timeline --database-url postgresql://user@host:5432/db
    python -m bench.timeline --sizes 10000 100000 --requests 200
    python -m bench.timeline --paths compiled      # the default path only
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, make_url, text

from bench.cpu import CpuMeter
from bench.datagen import TimelineShape, analyze, load_timeline
from graph.commands.setup import add_business_unit, add_user, ensure_organisation
from graph.commands.tokens import create_token
from graph.db import Database
from graph.migrate import upgrade
from graph.models import utcnow
from resolvers.ids import to_global_id
from server.app import create_app
from server.settings import Settings

QUERY = """query($id: ID!) {
  timeline(recordId: $id, first: 50) {
    totalCount
    edges { node { ... on Activity {
      id subject state createdOn description
      owner { ... on User { id fullName } }
      createdBy { ... on User { id fullName } }
    } } }
  }
}"""
USERS = 100
GOAL_RATIO = 1.3
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE", "SET ")


PATHS = {"executed": False, "compiled": True}  # label -> Settings.compiled_reads


@dataclass
class Result:
    database: str
    path: str
    activities: int
    entries: int
    load_seconds: float
    p50_ms: float
    p99_ms: float
    per_second: float
    statements: float
    cpu_ms: float  # per request: this process (client, app, SQLite's thread) + PostgreSQL's backends


@asynccontextmanager
async def sqlite_database() -> AsyncIterator[Database]:
    with tempfile.TemporaryDirectory(prefix="relate-bench-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        db = Database.connect(url)
        try:
            yield db
        finally:
            await db.dispose()


@asynccontextmanager
async def postgres_database(url: str) -> AsyncIterator[Database]:
    schema = f"relate_bench_{uuid.uuid4().hex[:10]}"
    admin = Database.connect(url, pool_size=1)
    async with admin.writer.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        upgrade(url, schema=schema)
        db = Database.connect(url, schema=schema, pool_size=10)
        try:
            yield db
        finally:
            await db.dispose()
    finally:
        async with admin.writer.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


async def organisation(db: Database, settings: Settings) -> tuple[list[uuid.UUID], str]:
    """100 salespeople in one unit; a token for the first, who reads the timeline."""
    now = utcnow()
    async with db.unit_of_work() as session:
        await ensure_organisation(session, attachment_max_bytes=settings.attachment_max_bytes,
                                  blocked_extensions=settings.attachment_blocked_extensions)
        unit = await add_business_unit(session, "Sales", None)
        users = [await add_user(session, name=f"User {i}", email=f"u{i}@bench.relate", unit_id=unit.id,
                                roles=["salesperson"], now=now) for i in range(USERS)]
        token = await create_token(session, "u0@bench.relate", now)
    return [u.id for u in users], token


class StatementCounter:
    """SQL statements sent, transaction control excluded (as tests/support/sql_counter.py)."""

    def __init__(self, db: Database) -> None:
        self.db, self.count = db, 0

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.count += 1

    def _raw(self, statement: str) -> None:
        self._seen(None, None, statement)

    def __enter__(self) -> StatementCounter:
        for engine in self.db.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", self._seen)
        # The compiled read path sends its statements on a raw connection (graph/raw_reads.py).
        self.db.statement_listeners.append(self._raw)
        return self

    def __exit__(self, *_: Any) -> None:
        self.db.statement_listeners.remove(self._raw)
        for engine in self.db.engines:
            event.remove(engine.sync_engine, "before_cursor_execute", self._seen)


class Target:
    """One loaded database served by the real app, answering the timeline query."""

    def __init__(self, name: str, path: str, db: Database, activities: int, entries: int, load_seconds: float,
                 record_id: str, token: str) -> None:
        self.name, self.path, self.db, self.activities, self.entries = name, path, db, activities, entries
        self.load_seconds = load_seconds
        self.body = {"query": QUERY, "variables": {"id": record_id}}
        self.headers = {"Authorization": f"Bearer {token}"}
        # The response cache would answer every repeat of the same query from memory: this
        # measures the query itself, so it is off.
        settings = Settings(database_url=db.url, response_cache_entries=0, compiled_reads=PATHS[path])
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, db=db)),
                                        base_url="http://bench")
        self.timings: list[float] = []
        self.statements = 0
        self.cpu_seconds = 0.0

    async def once(self) -> None:
        response = await self.client.post("/graphql", json=self.body, headers=self.headers)
        data = response.json()
        if response.status_code != 200 or data.get("errors") or len(data["data"]["timeline"]["edges"]) != 50:
            raise SystemExit(f"request failed: {response.status_code} {response.text[:500]}")

    async def timed(self, requests: int) -> None:
        database = None if self.db.is_sqlite else make_url(self.db.url).database
        cpu_before = time.process_time()
        with StatementCounter(self.db) as counter, CpuMeter([], database) as backends:
            for _ in range(requests):
                started = time.perf_counter()
                await self.once()
                self.timings.append(time.perf_counter() - started)
        self.cpu_seconds += time.process_time() - cpu_before + backends.used.database_seconds
        self.statements += counter.count

    async def explain(self) -> str:
        """The plan of every statement one request sends (EXPLAIN ANALYZE on PostgreSQL)."""
        sent: list[tuple[str, Any]] = []

        def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") or statement.lstrip().upper().startswith("WITH"):
                sent.append((statement, parameters))

        raw: list[str] = []  # the compiled path's, sent on a raw connection: shown without a plan
        for engine in self.db.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", keep)
        self.db.statement_listeners.append(raw.append)
        try:
            await self.once()
        finally:
            self.db.statement_listeners.remove(raw.append)
            for engine in self.db.engines:
                event.remove(engine.sync_engine, "before_cursor_execute", keep)
        prefix = "EXPLAIN QUERY PLAN " if self.db.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
        lines = [f"--- plans at {self.activities:,} activities ({self.name}, {self.path})"]
        async with self.db.writer.connect() as conn:
            for statement, parameters in sent:
                lines.append(" ".join(statement.split())[:160] + " …")
                for row in await conn.exec_driver_sql(prefix + statement, parameters):
                    lines.append(("    " + " ".join(str(v) for v in row))[:200])
        lines.extend(" ".join(statement.split())[:160] + " … (raw connection)" for statement in raw)
        return "\n".join(lines)

    def result(self) -> Result:
        total = sum(self.timings)
        return Result(self.name, self.path, self.activities, self.entries, self.load_seconds,
                      statistics.median(self.timings) * 1000, percentile(self.timings, 0.99) * 1000,
                      len(self.timings) / total, self.statements / len(self.timings),
                      1000 * self.cpu_seconds / len(self.timings))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def load(name: str, db: Database, activities: int, args: argparse.Namespace) -> list[Target]:
    """One database of `activities`, and a target per read path serving it."""
    settings = Settings(database_url=db.url)
    users, token = await organisation(db, settings)
    started = time.perf_counter()

    def progress(done: int) -> None:
        print(f"  {name}: {done:>9,} / {activities:,} activities", end="\r", file=sys.stderr, flush=True)

    loaded = await load_timeline(db, TimelineShape(activities=activities, contacts=args.contacts, events=args.events),
                                 owners=users, progress=progress)
    await analyze(db)
    load_seconds = time.perf_counter() - started
    print(f"  {name}: {activities:,} activities, {loaded.entries:,} index rows in {load_seconds:.0f} s",
          file=sys.stderr)
    return [Target(name, path, db, activities, loaded.entries, load_seconds,
                   to_global_id("Account", loaded.account_id), token) for path in args.paths]


async def compare(targets: list[Target], args: argparse.Namespace) -> list[Result]:
    """Warm every target up, then alternate rounds between them, so that whatever else the
    machine does falls on every size alike and the ratio stays fair."""
    for target in targets:
        for _ in range(args.warmup):
            await target.once()
    rounds = 10
    for _ in range(rounds):
        for target in targets:
            await target.timed(max(1, args.requests // rounds))
    if args.explain:
        for target in targets:
            print(await target.explain(), file=sys.stderr)
    for target in targets:
        await target.client.aclose()
    return [t.result() for t in targets]


def table(results: list[Result]) -> str:
    lines = [f"{'database':<11}{'path':<10}{'activities':>12}{'index rows':>12}{'load s':>8}{'p50 ms':>9}{'p99 ms':>9}"
             f"{'req/s':>8}{'SQL/req':>9}{'CPU ms':>8}"]
    for r in results:
        lines.append(f"{r.database:<11}{r.path:<10}{r.activities:>12,}{r.entries:>12,}{r.load_seconds:>8.0f}{r.p50_ms:>9.2f}"
                     f"{r.p99_ms:>9.2f}{r.per_second:>8.0f}{r.statements:>9.1f}{r.cpu_ms:>8.2f}")
    by_db: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        by_db.setdefault((r.database, r.path), []).append(r)
    for (database, path), rows in by_db.items():
        if len(rows) >= 2:
            small, large = min(rows, key=lambda r: r.activities), max(rows, key=lambda r: r.activities)
            ratio = large.p50_ms / small.p50_ms
            verdict = "ok" if ratio <= GOAL_RATIO else "MISSED"
            lines.append(f"{database} {path}: p50 {large.activities:,} / {small.activities:,} = {ratio:.2f} "
                         f"(goal <= {GOAL_RATIO}: {verdict})")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    results: list[Result] = []
    kinds: list[tuple[str, Any]] = [("sqlite", sqlite_database)]
    if args.database_url:
        kinds.append(("postgresql", lambda: postgres_database(args.database_url)))
    if args.only:
        kinds = [k for k in kinds if k[0] == args.only]
    for name, open_database in kinds:
        async with AsyncExitStack() as stack:
            targets = [target for size in args.sizes
                       for target in await load(name, await stack.enter_async_context(open_database()), size, args)]
            results.extend(await compare(targets, args))
    print(f"\nRELATED timeline, first page of 50 with owner and createdBy, totalCount; "
          f"{args.requests} sequential requests per size after {args.warmup} warm-up, sizes alternated; "
          f"{args.contacts:,} contacts, {USERS} users")
    print(table(results))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--database-url", help="also run on this PostgreSQL (a schema of its own, dropped after)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run one database only")
    parser.add_argument("--paths", nargs="+", choices=list(PATHS), default=list(PATHS),
                        help="which read paths serve the page (default both: before and after the compiled path)")
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement of a request")
    parser.add_argument("--no-events", dest="events", action="store_false",
                        help="skip the outbox rows the commands would also write (faster loading)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))

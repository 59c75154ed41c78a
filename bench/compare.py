"""Relate against the PostGraphile anchor on the same data, one script, one load tool.

1. The anchor: schema `app` of `bench/postgraphile/anchor.sql` in the database given
   (built once: 1M activities, account 1 with 1,000 contacts, a roll-up SQL function).
2. Relate's copy of the same rows in a PostgreSQL schema of its own (and, with
   `--sqlite FILE`, in a SQLite file): the same users (as principals), accounts and
   contacts (as records) and activities, with the timeline index and counts the commands
   would write (`bench/datagen.py: load_anchor`). Built once, reused while it matches.
3. Servers: `relate serve --workers N` on PostgreSQL with a Redis broker (the scale-out
   configuration), `--relate-variants` naming more configurations to compare (e.g.
   `nocache`: the response cache off); PostGraphile v4 from npm when node is installed.
   `--pages plain` (or `roll-up`) measures one page only: a quick check of one change.
4. Each answer is checked against the anchor's (same subjects in the same order, same
   totals, same owner and creator names), then every page is driven by the same load tool
   (bench/load.py: wrk, else Python) for `--rounds` rounds of `--duration` seconds at
   `--connections` connections after a warm-up, the servers alternated within each round.

Printed: req/s (all rounds together), p50 and p99 (median over rounds), and Relate's
ratios to PostGraphile. The machine's load average is printed before and after: on a
shared machine absolute numbers move, the ratios much less.

    python -m bench.compare --database-url postgresql://postgres@127.0.0.1:5432/relate_anchor \\
        --broadcast-url redis://127.0.0.1:6379/5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text

from bench.datagen import AnchorShape, analyze, load_anchor
from bench.load import Measured, Target, fetch, have_wrk, measure
from bench.postgraphile import anchor
from graph.commands.setup import add_business_unit, add_user, ensure_organisation
from graph.commands.tokens import create_token
from graph.db import Database
from graph.migrate import upgrade
from graph.models import utcnow
from resolvers.ids import to_global_id
from server.settings import Settings
from subscriptions.relay import stamp_pending
from subscriptions.retention import sweep

ROOT = Path(__file__).resolve().parents[1]
USERS = 100
VIEWER = 5  # the anchor's user 5: its plain page is user 5's activities
ACTIVITY_FIELDS = "id type subject state createdOn description " \
                  "owner { ... on User { id fullName } } createdBy { ... on User { id fullName } }"
ROLLUP_QUERY = f"""query($id: ID!) {{ timeline(recordId: $id, first: 50) {{ totalCount
  nodes {{ ... on Activity {{ {ACTIVITY_FIELDS} }} }} }} }}"""
# The anchor orders by id descending; its ids grow as activities get older, so the same rows
# in the same order are Relate's oldest first.
PLAIN_QUERY = f"""query($owner: ID!) {{ activities(filter: {{ownerIds: [$owner]}},
  orderBy: [{{field: CREATED_ON, direction: ASC}}], first: 50) {{ nodes {{ {ACTIVITY_FIELDS} }} }} }}"""
# One token drives all the load: Relate's per-token rate limit (server/limits.py) would
# measure the limiter, so it is off here, as PostGraphile has none.
BENCH_ENV = {"RELATE_RATE_LIMIT_PER_SECOND": "0", "RELATE_LOG_FORMAT": "text"}
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "nocache": {"RELATE_RESPONSE_CACHE_ENTRIES": "0"},
}


@dataclass
class RelateData:
    account_id: str
    owner_id: str
    token: str


@dataclass
class Server:
    name: str
    pages: dict[str, Target]
    runs: dict[str, list[Measured]] = field(default_factory=dict)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Relate's copy of the anchor's rows --------------------------------------------------

async def build_relate(db: Database, shape: AnchorShape) -> None:
    now = utcnow()
    settings = Settings()
    async with db.unit_of_work() as session:
        await ensure_organisation(session, attachment_max_bytes=settings.attachment_max_bytes,
                                  blocked_extensions=settings.attachment_blocked_extensions)
        unit = await add_business_unit(session, "Sales", None)
        users = [await add_user(session, name=f"User {g}", email=f"u{g}@x.test", unit_id=unit.id,
                                roles=["salesperson"], now=now) for g in range(1, USERS + 1)]
    started = time.perf_counter()

    def progress(done: int) -> None:
        print(f"  {done:>9,} / {shape.activities:,} activities", end="\r", file=sys.stderr, flush=True)

    loaded = await load_anchor(db, shape, owners=[u.id for u in users], now=now, progress=progress)
    await analyze(db)
    say(f"  loaded {loaded.activities:,} activities, {loaded.entries:,} timeline rows "
        f"in {time.perf_counter() - started:.0f} s")


async def relate_data(url: str, schema: str | None, shape: AnchorShape, rebuild: bool) -> RelateData:
    """Load Relate's copy unless a complete one is there; a token for the viewer."""
    db = Database.connect(url, schema=schema, pool_size=2)
    try:
        if schema and not db.is_sqlite:
            async with db.writer.begin() as conn:
                if rebuild:
                    # Only ever the benchmark's own schema, named by --relate-schema.
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        upgrade(url, schema=schema)
        async with db.read() as session:
            count = await session.scalar(text("SELECT count(*) FROM activities"))
            users = await session.scalar(text("SELECT count(*) FROM principals"))
        if not count and not users:
            say(f"loading Relate's copy of the anchor into {schema or url}…")
            await build_relate(db, shape)
        elif count != shape.activities:
            raise SystemExit(f"{schema or url} holds {count} activities, not {shape.activities:,} "
                             f"(or a load was cut short): pass --rebuild to load it again")
        await settle_outbox(db)
        async with db.read() as session:
            account = await session.scalar(text("SELECT id FROM records WHERE type = 'ACCOUNT' AND name = 'Account 1'"))
            owner = await session.scalar(text("SELECT id FROM principals WHERE email = :e"), {"e": f"u{VIEWER}@x.test"})
        async with db.unit_of_work() as session:
            token = await create_token(session, f"u{VIEWER}@x.test", utcnow(), "bench")
        return RelateData(to_global_id("Account", _uuid(account)), to_global_id("User", _uuid(owner)), token)
    finally:
        await db.dispose()


async def settle_outbox(db: Database) -> None:
    """What a server does first with a freshly loaded log, done before it starts: the relay
    stamps every event's seq, the sweeper deletes those past retention. Measuring while
    the servers still do it would measure a million-row backlog (and no cache could hit
    while events wait for their seq)."""
    started = time.perf_counter()
    stamped = 0
    while count := (await stamp_pending(db, 50_000)).count:
        stamped += count
    swept = await sweep(db, utcnow() - timedelta(hours=Settings().live_retention_hours), batch=50_000)
    if stamped and not db.is_sqlite:  # stamping left a dead row per event: clean up as autovacuum would
        async with db.writer.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE events"))
    if stamped or swept:
        say(f"  outbox settled: {stamped:,} events stamped, {swept:,} past retention deleted "
            f"in {time.perf_counter() - started:.0f} s")


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# --- servers -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def relate_server(env: dict[str, str], workers: int, port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            cwd=ROOT, env={**os.environ, "RELATE_LOG_LEVEL": "WARNING", **env},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
            yield
        finally:
            anchor.stop(process)


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited:\n{log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise SystemExit(f"{url}: no answer after {timeout:.0f} s")


# --- checking and measuring --------------------------------------------------------------

def rows_of(data: dict[str, Any]) -> tuple[int | None, list[tuple[str, str, str]]]:
    """(totalCount, [(subject, owner name, creator name)]) from either server's answer."""
    page = next(iter(data["data"].values()))
    rows = []
    for n in page["nodes"]:
        owner = n.get("owner") or n.get("userByOwnerId") or {}
        creator = n.get("createdBy") or n.get("userByCreatedById") or {}
        rows.append((n["subject"], owner.get("fullName") or owner.get("name"),
                     creator.get("fullName") or creator.get("name")))
    return page.get("totalCount"), rows


def check_same(servers: list[Server]) -> None:
    for page in servers[0].pages:
        answers = {s.name: rows_of(fetch(s.pages[page])) for s in servers}
        (first_name, first), *others = answers.items()
        if len(first[1]) != 50:
            raise SystemExit(f"{first_name} {page}: {len(first[1])} rows, not 50")
        for name, answer in others:
            if answer != first:
                raise SystemExit(f"{page}: {name} and {first_name} disagree:\n{answer}\n{first}")
        total = f", totalCount {first[0]:,}" if first[0] is not None else ""
        say(f"  {page}: every server answers the same 50 rows{total}")


async def _busy_backends(url: str) -> int:
    conn = await asyncpg.connect(anchor.dsn(url))
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend'"
            " AND datname = current_database() AND pid <> pg_backend_pid()"))
    finally:
        await conn.close()


def settle_database(url: str, timeout: float = 60) -> None:
    """Wait until no statement of the last run still runs: a load tool that stops leaves
    the statements it started running in PostgreSQL (PostGraphile's roll-up takes seconds
    each), and the next server measured would pay for them."""
    deadline = time.monotonic() + timeout
    while asyncio.run(_busy_backends(url)) and time.monotonic() < deadline:
        time.sleep(0.2)


def drive(servers: list[Server], args: argparse.Namespace) -> None:
    for page in servers[0].pages:
        for server in servers:
            measure(server.pages[page], duration=args.warmup, connections=args.connections, tool=args.tool)
            settle_database(args.database_url)
        for round_no in range(args.rounds):
            order = servers if round_no % 2 == 0 else list(reversed(servers))
            for server in order:
                result = measure(server.pages[page], duration=args.duration, connections=args.connections,
                                 tool=args.tool)
                settle_database(args.database_url)
                if result.errors:
                    raise SystemExit(f"{server.name} {page}: {result.errors} errors under load")
                server.runs.setdefault(page, []).append(result)
                say(f"  {page:<8} round {round_no + 1}  {server.name:<24} {result.per_second:>8.0f} req/s  "
                    f"p50 {result.p50_ms:>7.2f} ms  p99 {result.p99_ms:>8.2f} ms")
            fetch(servers[0].pages[page])  # still answering correctly after the load


def summary(runs: list[Measured]) -> tuple[float, float, float]:
    requests = sum(r.requests for r in runs)
    seconds = sum(r.seconds for r in runs)
    return requests / seconds, statistics.median(r.p50_ms for r in runs), statistics.median(r.p99_ms for r in runs)


def table(servers: list[Server], anchor_name: str | None) -> str:
    lines = [f"{'page':<10}{'server':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'req/s ×':>9}{'p50 ×':>8}"]
    for page in servers[0].pages:
        base = next((s for s in servers if s.name == anchor_name), None)
        base_rate, base_p50, _ = summary(base.runs[page]) if base else (0.0, 0.0, 0.0)
        for server in servers:
            rate, p50, p99 = summary(server.runs[page])
            ratio = f"{rate / base_rate:>9.2f}{base_p50 / p50:>8.2f}" if base and server is not base else ""
            lines.append(f"{page:<10}{server.name:<30}{rate:>9.0f}{p50:>9.2f}{p99:>9.2f}{ratio}")
    if anchor_name:
        lines.append(f"×: Relate's req/s ÷ {anchor_name}'s, and {anchor_name}'s p50 ÷ Relate's (higher is better)")
    return "\n".join(lines)


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}, Python {platform.python_version()}"


# --- the run -----------------------------------------------------------------------------

PAGES = ("roll-up", "plain")


def relate_pages(base: str, data: RelateData, wanted: list[str]) -> dict[str, Target]:
    headers = (("Authorization", f"Bearer {data.token}"),)
    pages = {"roll-up": Target(base, ROLLUP_QUERY, {"id": data.account_id}, headers),
             "plain": Target(base, PLAIN_QUERY, {"owner": data.owner_id}, headers)}
    return {name: pages[name] for name in wanted}


def main(args: argparse.Namespace) -> None:
    shape = AnchorShape(activities=args.activities)
    say(f"machine: {machine()}; load tool: {'wrk' if args.tool != 'python' and have_wrk() else 'python'}")
    with_anchor = args.activities == anchor.ACTIVITIES and not args.no_postgraphile
    if with_anchor:
        asyncio.run(anchor.ensure_anchor(args.database_url, rebuild=args.rebuild))
    pg = asyncio.run(relate_data(args.database_url, args.relate_schema, shape, args.rebuild))
    lite = None
    if args.sqlite:
        if args.rebuild:
            Path(args.sqlite).unlink(missing_ok=True)
        lite = asyncio.run(relate_data(f"sqlite+aiosqlite:///{Path(args.sqlite).resolve()}", None, shape, False))
    binary = None
    if with_anchor:
        try:
            binary = anchor.install(Path(args.postgraphile_dir))
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            say(f"PostGraphile not run ({exc}); Relate only")
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="relate-compare-") as logs, contextlib.ExitStack() as stack:
        for variant in args.relate_variants:
            port = free_port()
            env = {"RELATE_DATABASE_URL": args.database_url, "RELATE_DATABASE_SCHEMA": args.relate_schema,
                   "RELATE_BROADCAST_URL": args.broadcast_url, **BENCH_ENV, **VARIANTS[variant]}
            stack.enter_context(relate_server(env, args.workers, port, Path(logs) / f"relate-{variant}.log"))
            label = f"Relate pg {args.workers}w" + ("" if variant == "default" else f" {variant}")
            servers.append(Server(label, relate_pages(f"http://127.0.0.1:{port}/graphql", pg, args.pages)))
        if lite is not None:
            port = free_port()
            env = {"RELATE_DATABASE_URL": f"sqlite+aiosqlite:///{Path(args.sqlite).resolve()}",
                   "RELATE_BROADCAST_URL": "memory://", **BENCH_ENV}
            stack.enter_context(relate_server(env, 1, port, Path(logs) / "relate-sqlite.log"))
            lite_pages = relate_pages(f"http://127.0.0.1:{port}/graphql", lite, args.pages)
            servers.append(Server("Relate sqlite 1w", lite_pages))
        anchor_name = None
        if binary is not None:
            port = free_port()
            log = Path(logs) / "postgraphile.log"
            process = stack.enter_context(anchor.serve(binary, args.database_url, port, log))
            wait_http(f"http://127.0.0.1:{port}/graphql", process, log)
            anchor_name = f"PostGraphile {anchor.version(Path(args.postgraphile_dir))}"
            url = f"http://127.0.0.1:{port}/graphql"
            pages = {"roll-up": Target(url, anchor.ROLLUP_QUERY), "plain": Target(url, anchor.PLAIN_QUERY)}
            servers.append(Server(anchor_name, {name: pages[name] for name in args.pages}))
        check_same(servers)
        drive(servers, args)
    print(f"\nRoll-up page: account 1's timeline (its own and its 1,000 contacts' activities), "
          f"first 50 with totalCount, owner and creator; plain page: user 5's activities, 50 with owner and "
          f"creator. {args.connections} connections, {args.rounds} × {args.duration:.0f} s per server and page "
          f"after {args.warmup:.0f} s warm-up, servers alternated; {args.activities:,} activities. Relate: "
          f"`relate serve --workers N`, response cache on unless `nocache`, rate limit off.")
    print(table(servers, anchor_name))
    print(f"machine: {machine()}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("RELATE_BENCH_DATABASE_URL"),
                        required="RELATE_BENCH_DATABASE_URL" not in os.environ,
                        help="PostgreSQL database for both copies (created if missing; the anchor owns schema app)")
    parser.add_argument("--relate-schema", default="relate_bench_anchor", help="Relate's schema in that database")
    parser.add_argument("--broadcast-url", default="redis://127.0.0.1:6379/0", help="Redis for the workers")
    parser.add_argument("--sqlite", metavar="FILE", help="also load and serve Relate on this SQLite file")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--relate-variants", nargs="+", default=["default"], choices=sorted(VARIANTS))
    parser.add_argument("--activities", type=int, default=anchor.ACTIVITIES,
                        help="fewer for a quick try (PostGraphile runs only at the anchor's size)")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=PAGES,
                        help="measure only these pages (e.g. `plain` for a quick check of one change)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--rebuild", action="store_true", help="drop and load both copies again")
    parser.add_argument("--no-postgraphile", action="store_true")
    parser.add_argument("--postgraphile-dir", default=str(anchor.default_install_dir()),
                        help="where npm installs PostGraphile (outside the repository)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse())

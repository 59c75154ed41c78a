"""Relate against PostGraphile 4 and 5 on the anchor's data, one script, one load tool,
with a workload no response cache can answer from memory.

1. The anchor: schema `app` of `bench/postgraphile/anchor.sql` in the database given
   (built once: 1M activities, account 1 with 1,000 contacts, a roll-up SQL function).
2. Relate's copy of the same rows in a PostgreSQL schema of its own (and, with
   `--sqlite FILE`, in a SQLite file): the same users (as principals), accounts and
   contacts (as records) and activities, with the timeline index and counts the commands
   would write (`bench/datagen.py: load_anchor`). Built once, reused while it matches.
3. Servers: `relate serve --workers N` on PostgreSQL with a Redis broker (the scale-out
   configuration), `--relate-variants` naming more configurations to compare (e.g.
   `nocache`: the response cache off); PostGraphile 4 and PostGraphile 5 (on Node 22) from
   npm when node is installed.
4. The workload (`--workload`):
   - `rotating` (the default): requests rotate over many records and many viewers — the
     roll-up page over 200 accounts, the plain page over 100 owners, each paired with 50
     users' tokens (salespeople: they read the whole organisation), shuffled: 10,000 and
     5,000 distinct requests, sent in turn; every run continues the rotation where the
     last one stopped, so a warm-up never primes the cache for the run it precedes.
     PostGraphile gets the same records in the same order (it has no viewers). The
     response cache's hit rate is counted from its `X-Relate-Cache` header and printed.
     The `mixed` page: both read pages in turn with every 20th request a write (5 %):
     Relate `createTask` on the rotated account as the rotated viewer, PostGraphile
     `createActivity` (the same row's INSERT) — reads measured while writes happen,
     latency over reads and writes together. The rows written are deleted afterwards.
   - `repeated`: one identical request per page (account 1, user 5), over and over: what
     the response cache answers from memory. The cache's figure, not the server's.
5. Every server's answers are checked to hold the same rows (same subjects in the same
   order, same totals, same owner and creator names) for every record of the rotation,
   then every page is driven by the same load tool (bench/load.py: wrk, else Python) for
   `--rounds` rounds of `--duration` seconds at `--connections` connections after a
   warm-up, the servers alternated within each round.

Printed per page and server: req/s (all rounds together), p50 and p99 (median over
rounds), CPU ms per request of the server's processes and of the PostgreSQL backends of
the database (bench/cpu.py; the load tool's own CPU printed apart, not included), the
cache hit rate, and Relate's req/s ÷ PostGraphile 4's and ÷ PostGraphile 5's. The
machine's load average is printed before and after: on a shared machine absolute numbers
move, the ratios much less.

    python -m bench.compare --database-url postgresql://postgres@127.0.0.1:5432/relate_anchor \\
        --broadcast-url redis://127.0.0.1:6379/5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text

from bench.cpu import CpuMeter, CpuUsed
from bench.datagen import AnchorShape, analyze, load_anchor
from bench.processes import free_port
from bench.load import Call, Measured, Workload, call, fetch, have_wrk, measure
from bench.postgraphile import anchor
from bench.relate_writes import remove_writes
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
VIEWER = 5  # the anchor's user 5: the repeated plain page is user 5's activities
ROTATED_ACCOUNTS = 200
ROTATED_OWNERS = 100
VIEWERS = 50  # users 1..50 hold the rotation's tokens
WRITE_EVERY = 20  # the mixed page: one request in 20 writes
ACTIVITY_FIELDS = "id type subject state createdOn description " \
                  "owner { ... on User { id fullName } } createdBy { ... on User { id fullName } }"
ROLLUP_QUERY = f"""query($id: ID!) {{ timeline(recordId: $id, first: 50) {{ totalCount
  nodes {{ ... on Activity {{ {ACTIVITY_FIELDS} }} }} }} }}"""
# The anchor orders by id descending; its ids grow as activities get older, so the same rows
# in the same order are Relate's oldest first.
PLAIN_QUERY = f"""query($owner: ID!) {{ activities(filter: {{ownerIds: [$owner]}},
  orderBy: [{{field: CREATED_ON, direction: ASC}}], first: 50) {{ nodes {{ {ACTIVITY_FIELDS} }} }} }}"""
WRITE_MUTATION = """mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id } errors { code } } }"""
# Relate's per-token rate limit (server/limits.py) would measure the limiter, so it is off
# here, as PostGraphile has none.
BENCH_ENV = {"RELATE_RATE_LIMIT_PER_SECOND": "0", "RELATE_LOG_FORMAT": "text"}
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "nocache": {"RELATE_RESPONSE_CACHE_ENTRIES": "0"},
}
READ_PAGES = ("roll-up", "plain")
PAGES = (*READ_PAGES, "mixed")


@dataclass
class RelateData:
    accounts: dict[int, str]  # the anchor's account id -> Relate's global id
    users: dict[int, str]  # the anchor's user id -> Relate's global id
    tokens: dict[int, str]  # the anchor's user id -> a bearer token of that user


@dataclass(frozen=True)
class Step:
    """One request of a plan, in the anchor's terms: a page, its record, the viewer."""

    page: str  # "roll-up" | "plain" | "write"
    record: int  # an account (roll-up, write) or an owner (plain)
    viewer: int
    number: int = 0  # writes: which one (names the row written)


@dataclass
class Run:
    measured: Measured
    cpu: CpuUsed


@dataclass
class Server:
    name: str
    kind: str  # "relate" | "postgraphile-4" | "postgraphile-5"
    workloads: dict[str, Workload]
    group: int  # its process group: what the CPU meter counts
    runs: dict[str, list[Run]] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)


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


async def relate_data(url: str, schema: str | None, shape: AnchorShape, rebuild: bool,
                      accounts: list[int]) -> RelateData:
    """Load Relate's copy unless a complete one is there (after removing what an earlier
    mixed run wrote); global ids of the anchor's accounts and users; tokens for viewers."""
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
            if removed := await remove_writes(db, anchor.WRITE_PREFIX):
                say(f"  removed {removed:,} tasks an earlier mixed run wrote")
            async with db.read() as session:
                count = await session.scalar(text("SELECT count(*) FROM activities"))
            if count != shape.activities:
                raise SystemExit(f"{schema or url} holds {count} activities, not {shape.activities:,} "
                                 f"(or a load was cut short): pass --rebuild to load it again")
        await settle_outbox(db)
        wanted = {1, *accounts}
        async with db.read() as session:
            found = await session.execute(text("SELECT name, id FROM records WHERE type = 'ACCOUNT'"))
            account_ids = {int(name.split()[1]): to_global_id("Account", _uuid(i)) for name, i in found
                           if name.startswith("Account ") and int(name.split()[1]) in wanted}
            people = await session.execute(text("SELECT email, id FROM principals WHERE email LIKE 'u%@x.test'"))
            user_ids = {int(email[1:].split("@")[0]): to_global_id("User", _uuid(i)) for email, i in people}
        tokens = {}
        async with db.unit_of_work() as session:
            for viewer in range(1, VIEWERS + 1):
                tokens[viewer] = await create_token(session, f"u{viewer}@x.test", utcnow(), "bench")
        return RelateData(account_ids, user_ids, tokens)
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
    if stamped > 10_000 and not db.is_sqlite:  # stamping left a dead row per event: clean up as autovacuum would
        async with db.writer.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE events"))
    if stamped or swept:
        say(f"  outbox settled: {stamped:,} events stamped, {swept:,} past retention deleted "
            f"in {time.perf_counter() - started:.0f} s")


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def undo_writes(database_url: str, relate_urls: list[tuple[str, str | None]]) -> None:
    """Delete what a mixed run wrote, in the anchor and in every copy of Relate's."""
    conn = await asyncpg.connect(anchor.dsn(database_url))
    try:
        if await conn.fetchval("select to_regclass('app.activities') is not null"):
            await anchor.remove_writes(conn)
    finally:
        await conn.close()
    for url, schema in relate_urls:
        db = Database.connect(url, schema=schema, pool_size=2)
        try:
            await remove_writes(db, anchor.WRITE_PREFIX)
            await settle_outbox(db)
        finally:
            await db.dispose()


# --- servers -----------------------------------------------------------------------------

@contextlib.contextmanager
def relate_server(env: dict[str, str], workers: int, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            cwd=ROOT, env={**os.environ, "RELATE_LOG_LEVEL": "WARNING", **env},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
            yield process
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


# --- what each server is asked -----------------------------------------------------------

def plans(workload: str, accounts: list[int], pages: list[str], seed: int = 14) -> dict[str, list[Step]]:
    """The requests of each page, in the anchor's terms, the same for every server."""
    if workload == "repeated":
        return {"roll-up": [Step("roll-up", 1, VIEWER)], "plain": [Step("plain", VIEWER, VIEWER)]}
    viewers = range(1, VIEWERS + 1)
    shuffle = random.Random(seed).shuffle
    rollup = [Step("roll-up", a, v) for a in accounts for v in viewers]
    plain = [Step("plain", o, v) for o in range(1, ROTATED_OWNERS + 1) for v in viewers]
    shuffle(rollup)
    shuffle(plain)
    found = {"roll-up": rollup, "plain": plain}
    if "mixed" in pages:
        mixed: list[Step] = []
        reads = 0
        for k in range(len(rollup)):
            if k % WRITE_EVERY == WRITE_EVERY - 1:
                target = rollup[k]
                mixed.append(Step("write", target.record, target.viewer, k))
            else:
                mixed.append(rollup[k] if reads % 2 == 0 else plain[k % len(plain)])
                reads += 1
        found["mixed"] = mixed
    return found


def relate_call(step: Step, data: RelateData) -> Call:
    headers = (("Authorization", f"Bearer {data.tokens[step.viewer]}"),)
    if step.page == "roll-up":
        return call(ROLLUP_QUERY, {"id": data.accounts[step.record]}, headers)
    if step.page == "plain":
        return call(PLAIN_QUERY, {"owner": data.users[step.record]}, headers)
    task = {"subject": f"{anchor.WRITE_PREFIX}{step.number}", "regardingId": data.accounts[step.record]}
    return call(WRITE_MUTATION, {"input": task}, headers, writes=True)


def anchor_call(step: Step, flavour: anchor.Flavour, written_at: str) -> Call:
    if step.page == "roll-up":
        return call(flavour.rollup_query, {"aid": step.record})
    if step.page == "plain":
        return call(flavour.plain_query, {"owner": step.record})
    row = {"kind": "task", "subject": f"{anchor.WRITE_PREFIX}{step.number}", "state": "open",
           "createdAt": written_at, "ownerId": step.viewer, "createdById": step.viewer,
           "regardingAccountId": step.record}
    return call(flavour.write_mutation, {"a": row}, writes=True)


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


def unmeasured(workload: Workload, index: int) -> Workload:
    """Call `index` with a comment added to its document: the same request to GraphQL, a
    different one to the response cache's key, so checking never primes the cache for
    the measured runs."""
    chosen = workload.calls[index]
    payload = json.loads(chosen.body)
    payload["query"] += "\n# bench check"
    return Workload(workload.url, (Call(json.dumps(payload, separators=(",", ":")), chosen.headers),))


def check_same(servers: list[Server], plan: dict[str, list[Step]]) -> None:
    """Every record of each read page's rotation (first with the viewer the rotation pairs
    it with first), asked of every server: the same 50 rows, the same total."""
    for page in servers[0].workloads:
        if page not in READ_PAGES:
            continue
        first_of: dict[int, int] = {}
        for index, step in enumerate(plan[page]):
            first_of.setdefault(step.record, index)
        for record, index in sorted(first_of.items()):
            answers = {s.name: rows_of(fetch(unmeasured(s.workloads[page], index))) for s in servers}
            (first_name, first), *others = answers.items()
            if len(first[1]) != 50:
                raise SystemExit(f"{first_name} {page} {record}: {len(first[1])} rows, not 50")
            for name, answer in others:
                if answer != first:
                    raise SystemExit(f"{page} {record}: {name} and {first_name} disagree:\n{answer}\n{first}")
        say(f"  {page}: every server answers the same 50 rows for each of the {len(first_of)} records "
            f"({len(plan[page]):,} distinct requests)")


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
    the statements it started running in PostgreSQL (PostGraphile's roll-up of a big
    account takes seconds each), and the next server measured would pay for them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not asyncio.run(_busy_backends(url)):
                return
        except asyncpg.TooManyConnectionsError:
            pass  # the servers' pools hold every connection PostgreSQL allows: busy, ask again
        time.sleep(0.2)


def database_name(url: str) -> str | None:
    return None if url.startswith("sqlite") else anchor.dsn(url).rsplit("/", 1)[1].split("?", 1)[0]


def run_once(server: Server, page: str, seconds: float, args: argparse.Namespace) -> Run:
    """One load run continuing the server's rotation, with the CPU it cost."""
    start = server.position.get(page, 0)
    with CpuMeter([server.group], database_name(args.database_url)) as meter:
        result = measure(server.workloads[page], duration=seconds, connections=args.connections, tool=args.tool,
                         offset=start)
        meter.wait_idle()  # the requests left in flight finish inside the measurement
    # Past every request sent, answered or still in flight when the run stopped (a server
    # may have finished and cached those after the load tool left).
    server.position[page] = start + max(result.sent, result.requests + args.connections)
    return Run(result, meter.used)


def drive(servers: list[Server], args: argparse.Namespace, undo: Any) -> None:
    for page in servers[0].workloads:
        for server in servers:
            run_once(server, page, args.warmup, args)
            settle_database(args.database_url)
        for round_no in range(args.rounds):
            order = servers if round_no % 2 == 0 else list(reversed(servers))
            for server in order:
                run = run_once(server, page, args.duration, args)
                settle_database(args.database_url)
                result = run.measured
                if result.errors:
                    raise SystemExit(f"{server.name} {page}: {result.errors} errors under load")
                server.runs.setdefault(page, []).append(run)
                cpu = 1000 * run.cpu.seconds / max(result.sent, result.requests, 1)
                say(f"  {page:<8} round {round_no + 1}  {server.name:<24} {result.per_second:>8.0f} req/s  "
                    f"p50 {result.p50_ms:>7.2f} ms  p99 {result.p99_ms:>8.2f} ms  CPU {cpu:>6.2f} ms/req")
        if page == "mixed":
            undo()  # the rows written go, so the next run compares the anchor's rows again
        else:
            for server in servers:
                fetch(unmeasured(server.workloads[page], 0))  # still answering correctly after the load


@dataclass(frozen=True)
class Summary:
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server + database, per request
    database_ms: float
    load_ms: float
    hit_rate: float | None  # None: the server sent no cache header
    new_backends: int

    @classmethod
    def of(cls, runs: list[Run]) -> Summary:
        answered = sum(r.measured.requests for r in runs)
        # CPU was counted until the server went quiet: every request sent, in flight at the
        # end or not, is in it.
        requests = sum(max(r.measured.sent, r.measured.requests) for r in runs) or 1
        seconds = sum(r.measured.seconds for r in runs)
        hits = sum(r.measured.cache_hits for r in runs)
        marked = hits + sum(r.measured.cache_misses for r in runs)
        return cls(answered / seconds, statistics.median(r.measured.p50_ms for r in runs),
                   statistics.median(r.measured.p99_ms for r in runs),
                   1000 * sum(r.cpu.seconds for r in runs) / requests,
                   1000 * sum(r.cpu.database_seconds for r in runs) / requests,
                   1000 * sum(r.measured.load_cpu_seconds for r in runs) / requests,
                   hits / marked if marked else None, sum(r.cpu.new_backends for r in runs))


def ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:>8.2f}" if theirs else f"{'∞':>8}"


def table(servers: list[Server]) -> str:
    anchors = {s.kind: s for s in servers if s.kind != "relate"}
    ratio_heads = "".join(f"{'÷ PG' + kind[-1]:>8}" for kind in sorted(anchors))
    lines = [f"{'page':<9}{'server':<26}{'req/s':>7}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms':>8}{'of it db':>9}"
             f"{'load ms':>8}{'hits':>7}{'new db':>7}{ratio_heads}"]
    for page in servers[0].workloads:
        for server in servers:
            s = Summary.of(server.runs[page])
            hits = f"{100 * s.hit_rate:>6.1f}%" if s.hit_rate is not None else f"{'–':>7}"
            ratios = ""
            if server.kind == "relate":
                ratios = "".join(ratio(s.per_second, Summary.of(anchors[k].runs[page]).per_second)
                                 for k in sorted(anchors))
            if not s.per_second:  # no answer within the run: no latency to show
                lines.append(f"{page:<9}{server.name:<26}{0:>7}{'–':>9}{'–':>9}{'–':>8}{'–':>9}{'–':>8}"
                             f"{hits}{s.new_backends:>7}  (no request answered within the run)")
                continue
            lines.append(f"{page:<9}{server.name:<26}{s.per_second:>7.0f}{s.p50_ms:>9.2f}{s.p99_ms:>9.2f}"
                         f"{s.cpu_ms:>8.2f}{s.database_ms:>9.2f}{s.load_ms:>8.2f}{hits}{s.new_backends:>7}{ratios}")
    lines.append("CPU ms: per request sent, the server's processes + the PostgreSQL backends of the database, "
                 "counted until the server is quiet after the load (of it db: the backends'); load ms: the load tool's own, not included; hits: the response cache's hit "
                 "rate from its X-Relate-Cache header (– none sent); new db: PostgreSQL backends started during "
                 "the runs (connection churn); ÷ PGn: Relate's req/s ÷ PostGraphile n's (higher is better)")
    return "\n".join(lines)


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}, Python {platform.python_version()}"


# --- the run -----------------------------------------------------------------------------

def main(args: argparse.Namespace) -> None:
    shape = AnchorShape(activities=args.activities)
    if args.workload == "repeated" and "mixed" in args.pages:
        args.pages = [p for p in args.pages if p != "mixed"]
        say("mixed: rotating workload only; left out")
    say(f"machine: {machine()}; load tool: {'wrk' if args.tool != 'python' and have_wrk() else 'python'}")
    with_anchor = args.activities == anchor.ACTIVITIES and bool(args.postgraphile)
    if with_anchor:
        asyncio.run(anchor.ensure_anchor(args.database_url, rebuild=args.rebuild))
        accounts = asyncio.run(anchor.rotated_accounts(args.database_url, ROTATED_ACCOUNTS))
    else:
        accounts = list(range(2, ROTATED_ACCOUNTS + 2))
    relate_dbs: list[tuple[str, str | None]] = [(args.database_url, args.relate_schema)]
    pg = asyncio.run(relate_data(args.database_url, args.relate_schema, shape, args.rebuild, accounts))
    lite = None
    if args.sqlite:
        lite_url = f"sqlite+aiosqlite:///{Path(args.sqlite).resolve()}"
        if args.rebuild:
            Path(args.sqlite).unlink(missing_ok=True)
        lite = asyncio.run(relate_data(lite_url, None, shape, False, accounts))
        relate_dbs.append((lite_url, None))
    installed: list[anchor.Installed] = []
    if with_anchor:
        for major in args.postgraphile:
            try:
                installed.append(anchor.install(anchor.FLAVOURS[major], Path(args.postgraphile_dir)))
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                say(f"PostGraphile {major} not run ({exc})")
    plan = plans(args.workload, accounts, args.pages)
    written_at = datetime.now(UTC).isoformat()
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="relate-compare-") as logs, contextlib.ExitStack() as stack:
        for variant in args.relate_variants:
            port = free_port()
            env = {"RELATE_DATABASE_URL": args.database_url, "RELATE_DATABASE_SCHEMA": args.relate_schema,
                   "RELATE_BROADCAST_URL": args.broadcast_url, **BENCH_ENV, **VARIANTS[variant]}
            process = stack.enter_context(relate_server(env, args.workers, port, Path(logs) / f"relate-{variant}.log"))
            label = f"Relate pg {args.workers}w" + ("" if variant == "default" else f" {variant}")
            url = f"http://127.0.0.1:{port}/graphql"
            servers.append(Server(label, "relate", {
                page: Workload(url, tuple(relate_call(step, pg) for step in plan[page])) for page in args.pages},
                process.pid))
        if lite is not None:
            port = free_port()
            env = {"RELATE_DATABASE_URL": relate_dbs[-1][0], "RELATE_BROADCAST_URL": "memory://", **BENCH_ENV}
            process = stack.enter_context(relate_server(env, 1, port, Path(logs) / "relate-sqlite.log"))
            url = f"http://127.0.0.1:{port}/graphql"
            servers.append(Server("Relate sqlite 1w", "relate", {
                page: Workload(url, tuple(relate_call(step, lite) for step in plan[page])) for page in args.pages},
                process.pid))
        for one in installed:
            port = free_port()
            log = Path(logs) / f"postgraphile-{one.flavour.major}.log"
            process = stack.enter_context(anchor.serve(one, args.database_url, port, log))
            url = f"http://127.0.0.1:{port}/graphql"
            wait_http(url, process, log)
            servers.append(Server(one.name + (" (Node 22)" if one.flavour.major == 5 else ""),
                                  f"postgraphile-{one.flavour.major}", {
                page: Workload(url, tuple(anchor_call(step, one.flavour, written_at) for step in plan[page]))
                for page in args.pages}, process.pid))
        check_same(servers, plan)
        drive(servers, args, lambda: asyncio.run(undo_writes(args.database_url, relate_dbs)))
    sizes = ", ".join(f"{page} {len(plan[page]):,}" for page in args.pages)
    workload = ("rotating: requests rotate over 200 accounts (roll-up) / 100 owners (plain) × 50 viewers' tokens, "
                f"distinct requests per page: {sizes}; mixed: both pages in turn, 1 request in {WRITE_EVERY} a "
                "write (Relate createTask, PostGraphile createActivity)" if args.workload == "rotating" else
                "repeated: one identical request per page (account 1, user 5) — the response cache's figure")
    print(f"\nRoll-up page: an account's timeline (its own and its contacts' activities), first 50 with "
          f"totalCount, owner and creator; plain page: a user's activities, 50 with owner and creator. "
          f"Workload {workload}. {args.connections} connections, {args.rounds} × {args.duration:.0f} s per server "
          f"and page after {args.warmup:.0f} s warm-up, servers alternated; {args.activities:,} activities. "
          f"Relate: `relate serve --workers N`, response cache on unless `nocache`, rate limit off.")
    print(table(servers))
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
    parser.add_argument("--workload", choices=["rotating", "repeated"], default="rotating",
                        help="rotating: many records × many viewers (the default); repeated: one identical "
                             "request per page, the response cache's figure")
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
    parser.add_argument("--postgraphile", nargs="*", default=["4", "5"], choices=sorted(anchor.FLAVOURS),
                        help="which PostGraphile majors to run (none: Relate only)")
    parser.add_argument("--no-postgraphile", dest="postgraphile", action="store_const", const=[])
    parser.add_argument("--postgraphile-dir", default=str(anchor.default_install_dir()),
                        help="where npm installs PostGraphile and Node 22 (outside the repository)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse())

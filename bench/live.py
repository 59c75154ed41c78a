"""Live updates under load, measured from outside (issue 22), against `relate serve`.

    python -m bench.live                                     # SQLite, 1 worker, small
    python -m bench.live --subscribers 1000 --writes-per-second 20 --seconds 10 \\
        --database-url postgresql://user@host:5432/db --broadcast-url redis://host:6379/0 --workers 2

What it does:

1. A fresh database (SQLite in a temporary file; with `--database-url`, PostgreSQL in a
   schema of its own, dropped afterwards): `relate migrate`, `relate seed --demo`, then
   `--replay-events` activities on one account of their own, written straight to the
   tables with their outbox events (bench/datagen.py), for the replay in step 6.
2. `relate serve --workers N` on a free port (rate limit off).
3. Idle cost: the server's resident memory (every process of it, from /proc) before any
   socket, after `--subscribers` websockets sent `connection_init` (a bare socket), and
   after each subscribed to a timeline; printed per socket.
4. Subscribers: `--hot` of them follow one hot account's timeline, the rest are spread over
   `--topics` other accounts; each is one websocket (graphql-transport-ws) with one
   `timelineChanged` subscription (cursor, change, entry with subject, state and owner),
   tokens taken in turn from the demo's five users.
5. Writes: `createTask` at `--writes-per-second` for `--seconds`, half of them on the hot
   account, the rest in turn on the others. Every event a subscriber receives is matched
   to the write that made it: printed are deliveries expected / received / lost /
   duplicated / out of order, latency from the writer's answer to the event's arrival
   (p50 / p99 / max), and the server's CPU time (all its processes, user + system)
   during the writes divided by the deliveries (the writes' own CPU included).
6. Replay: one more subscriber asks the replay account's timeline from the beginning and
   is timed until its last event (`--replay-events` of them) arrives; the server's CPU
   time for it is printed too (steadier than the wall time on a shared machine).

The client runs in this process; on a small machine it competes with the server for the
CPU, as real clients on the same host would.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import func, select, text

from bench.datagen import TimelineShape, load_timeline
from bench.processes import free_port, relate, served
from graph.db import Database
from graph.events import timeline_topic
from graph.models import EventTopic, User
from subscriptions.log import decode_cursor, encode_cursor

ROOT = Path(__file__).resolve().parents[1]
USERS = ("sales1", "sales2", "sales3", "manager", "admin")
SUBSCRIPTION = """subscription($recordId: ID!, $after: String) {
  timelineChanged(recordId: $recordId, after: $after) {
    cursor change recordId entryId
    entry { __typename ... on Activity { id subject state owner { ... on User { fullName } } } }
  }
}"""
CREATE_TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { errors { code } task { id } } }"
TICK = os.sysconf("SC_CLK_TCK")



# --- the server's processes, from /proc ------------------------------------------------

def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, stack = [pid], [pid]
    while stack:
        for child in children.get(stack.pop(), ()):
            found.append(child)
            stack.append(child)
    return found


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def rss_bytes(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


@contextlib.contextmanager
def server(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[tuple[str, int]]:
    with served(env, port, log, "--workers", str(workers)) as running:
        yield running


# --- the database ------------------------------------------------------------------------

@dataclass
class Prepared:
    env: dict[str, str]
    replay_topic_events: int
    replay_account: str


@contextlib.asynccontextmanager
async def database(args: argparse.Namespace, workdir: Path) -> AsyncIterator[tuple[dict[str, str], Database]]:
    env = {**os.environ, "RELATE_FILE_STORE_DIR": str(workdir / "files"), "RELATE_RATE_LIMIT_PER_SECOND": "0",
           "RELATE_LOG_LEVEL": "WARNING", "RELATE_LOG_FORMAT": "text",
           "RELATE_BROADCAST_URL": args.broadcast_url or "memory://"}
    if args.database_url:
        schema = f"relate_live_{uuid.uuid4().hex[:10]}"
        env.update(RELATE_DATABASE_URL=args.database_url, RELATE_DATABASE_SCHEMA=schema)
        relate(env, "migrate")
        db = Database.connect(args.database_url, schema=schema, pool_size=4)
        try:
            yield env, db
        finally:
            await db.dispose()
            admin = Database.connect(args.database_url, pool_size=1)
            async with admin.writer.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await admin.dispose()
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        env.update(RELATE_DATABASE_URL=url)
        relate(env, "migrate")
        db = Database.connect(url)
        try:
            yield env, db
        finally:
            await db.dispose()


async def prepare(env: dict[str, str], db: Database, replay_events: int) -> Prepared:
    relate(env, "seed", "--demo")
    async with db.read() as session:
        owner = await session.scalar(select(User.id).where(User.email == "sales1@demo.relate"))
    loaded = await load_timeline(db, TimelineShape(activities=replay_events, contacts=10), owners=[owner])
    topic = timeline_topic(loaded.account_id)
    async with db.read() as session:
        count = int(await session.scalar(select(func.count()).select_from(EventTopic).where(EventTopic.topic == topic)) or 0)
    return Prepared(env, count, global_id("Account", loaded.account_id))


def global_id(type_name: str, raw: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{raw}".encode()).decode()


# --- the clients ---------------------------------------------------------------------------

@dataclass
class Subscriber:
    account: str
    token: str
    received: list[tuple[str, float, str]] = field(default_factory=list)  # entry id, arrival, cursor
    ws: Any = None
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    errors: list[str] = field(default_factory=list)  # codes of errors that ended the stream


class Refused(Exception):
    """A GraphQL answer with errors; `code` is the first error's extensions.code."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"GraphQL errors: {errors}")
        self.code = str((errors[0].get("extensions") or {}).get("code"))


async def graphql(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                               headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    if body.get("errors"):
        raise Refused(body["errors"])
    return body["data"]


async def accounts(http: httpx.AsyncClient, token: str, wanted: int, exclude: str) -> list[str]:
    data = await graphql(http, token, "{ accounts(first: 500) { edges { node { id } } } }")
    ids = [e["node"]["id"] for e in data["accounts"]["edges"] if e["node"]["id"] != exclude]
    while len(ids) < wanted:
        made = await graphql(http, token, "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id } } }",
                             {"i": {"name": f"Live bench {len(ids)}"}})
        ids.append(made["createAccount"]["account"]["id"])
    return ids[:wanted]


async def connect(url: str, sub: Subscriber) -> None:
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None, open_timeout=60,
                                  ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {sub.token}"}}))
    ack = json.loads(await ws.recv())
    if ack.get("type") != "connection_ack":
        raise SystemExit(f"no connection_ack: {ack}")
    sub.ws = ws


async def listen(sub: Subscriber, after: str | None) -> None:
    await sub.ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
        "query": SUBSCRIPTION, "variables": {"recordId": sub.account, "after": after}}}))
    sub.subscribed.set()
    with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
        async for raw in sub.ws:
            arrived = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") == "ping":
                await sub.ws.send(json.dumps({"type": "pong"}))
            elif message.get("type") == "next":
                payload = message["payload"]
                if payload.get("errors"):
                    sub.errors.append(str(payload["errors"][0].get("extensions", {}).get("code")))
                    continue
                event = payload["data"]["timelineChanged"]
                sub.received.append((event["entryId"], arrived, event["cursor"]))


async def in_parallel(coroutines: list[Any], limit: int) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(c: Any) -> None:
        async with gate:
            await c

    await asyncio.gather(*(one(c) for c in coroutines))


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def run(args: argparse.Namespace, prepared: Prepared, base: str, pid: int) -> None:
    ws_url = base.replace("http://", "ws://") + "/graphql"
    tokens = {u: relate(prepared.env, "token", "create", f"{u}@demo.relate") for u in USERS}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        others = await accounts(http, tokens["admin"], args.topics + 1, prepared.replay_account)
        hot, topics = others[0], others[1:]
        cursor = (await graphql(http, tokens["sales1"], "{ liveCursor }"))["liveCursor"]
        token_cycle = itertools.cycle(tokens.values())
        subs = [Subscriber(hot if i < args.hot else topics[i % len(topics)], next(token_cycle))
                for i in range(args.subscribers)]

        # What the writes cost on their own, nobody listening: subtracted to give the CPU of
        # the deliveries alone.
        calibration = max(10, int(args.writes_per_second * 2))
        for i in range(3):
            await graphql(http, tokens["sales1"], CREATE_TASK, {"input": {"subject": f"warm-up {i}", "regardingId": hot}})
        cpu_before = cpu_seconds(pid)
        for i in range(calibration):
            await graphql(http, tokens["sales1"], CREATE_TASK, {"input": {"subject": f"alone {i}", "regardingId": hot}})
        write_cpu = (cpu_seconds(pid) - cpu_before) / calibration
        print(f"  server CPU per createTask with nobody listening: {write_cpu * 1000:.1f} ms")
        cursor = (await graphql(http, tokens["sales1"], "{ liveCursor }"))["liveCursor"]

        await asyncio.sleep(1.0)
        rss_before = rss_bytes(pid)
        began = time.perf_counter()
        await in_parallel([connect(ws_url, s) for s in subs], 50)
        await asyncio.sleep(2.0)
        rss_bare = rss_bytes(pid)
        listeners = [asyncio.create_task(listen(s, cursor)) for s in subs]
        await asyncio.gather(*(s.subscribed.wait() for s in subs))
        await asyncio.sleep(3.0)
        rss_subscribed = rss_bytes(pid)
        print(f"  {len(subs)} subscribers connected and subscribed in {time.perf_counter() - began:.1f} s")
        n = len(subs)
        print(f"  memory per idle websocket: bare {(rss_bare - rss_before) / n / 1024:.1f} KB, "
              f"with its subscription {(rss_subscribed - rss_before) / n / 1024:.1f} KB "
              f"(server RSS {rss_before / 2**20:.0f} -> {rss_subscribed / 2**20:.0f} MB)")

        # Writes, paced; each remembers when its answer came.
        answered: dict[str, float] = {}
        target: dict[str, str] = {}
        failures: list[str] = []
        total = int(args.writes_per_second * args.seconds)

        write_ms: list[float] = []

        async def write(i: int) -> None:
            account = hot if i % 2 == 0 else topics[(i // 2) % len(topics)]
            sent = time.perf_counter()
            try:
                data = await graphql(http, tokens["sales1"], CREATE_TASK,
                                     {"input": {"subject": f"live bench {i}", "regardingId": account}})
            except Refused as refused:
                failures.append(refused.code)
                return
            except (httpx.HTTPError, ValueError) as exc:
                failures.append(type(exc).__name__)
                return
            payload = data["createTask"]
            if payload["errors"]:
                failures.append(payload["errors"][0]["code"])
                return
            answered[payload["task"]["id"]] = time.perf_counter()
            write_ms.append((answered[payload["task"]["id"]] - sent) * 1000)
            target[payload["task"]["id"]] = account

        cpu_start = cpu_seconds(pid)
        start = time.perf_counter()
        writers = []
        for i in range(total):
            delay = start + i / args.writes_per_second - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            writers.append(asyncio.create_task(write(i)))
        await asyncio.gather(*writers)
        expected_by_account: dict[str, int] = {}
        for account in target.values():
            expected_by_account[account] = expected_by_account.get(account, 0) + 1
        expected = sum(expected_by_account.get(s.account, 0) for s in subs)

        def received_now() -> int:
            return sum(1 for s in subs for entry, _, _ in s.received if entry in target)

        deadline = time.perf_counter() + args.drain_seconds
        while received_now() < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        cpu_used = cpu_seconds(pid) - cpu_start
        wall = time.perf_counter() - start

        latencies: list[float] = []
        lost = duplicated = out_of_order = 0
        for s in subs:
            ids = [entry for entry, _, _ in s.received if entry in target]
            mine = {t for t, a in target.items() if a == s.account}
            lost += len(mine - set(ids))
            duplicated += len(ids) - len(set(ids))
            cursors = [c for entry, _, c in s.received if entry in target]
            seqs = [decode_cursor(c) or 0 for c in cursors]
            out_of_order += sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
            latencies.extend((arrived - answered[entry]) * 1000 for entry, arrived, _ in s.received if entry in target)
        latencies.sort()
        received = len(latencies)
        write_ms.sort()
        print(f"  writes: {len(answered)} of {total} answered (p50 {percentile(write_ms, 0.5):.0f} ms, "
              f"max {write_ms[-1] if write_ms else float('nan'):.0f} ms), all delivered {wall:.1f} s after the first"
              f"{', failed: ' + str(dict(Counter(failures))) if failures else ''}")
        print(f"  deliveries expected {expected}, received {received}, lost {lost}, duplicated {duplicated}, "
              f"out of order {out_of_order}")
        ended = Counter(code for s in subs for code in s.errors)
        if ended:
            print(f"  streams ended by errors: {dict(ended)}")
        print(f"  latency after the write's answer: p50 {percentile(latencies, 0.5):.0f} ms, "
              f"p99 {percentile(latencies, 0.99):.0f} ms, max {latencies[-1] if latencies else float('nan'):.0f} ms")
        net = cpu_used - write_cpu * len(answered)
        print(f"  server CPU {cpu_used:.2f} s for {received} deliveries: "
              f"{cpu_used / max(received, 1) * 1000:.3f} ms per delivery with the writes, "
              f"{net / max(received, 1) * 1000:.3f} ms without them")

        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await in_parallel([s.ws.close() for s in subs], 100)

        # Replay: from the very beginning of the replay account's timeline.
        replayer = Subscriber(prepared.replay_account, tokens["sales1"])
        await connect(ws_url, replayer)
        replay_cpu = cpu_seconds(pid)
        began = time.perf_counter()
        listening = asyncio.create_task(listen(replayer, encode_cursor(0)))
        deadline = began + args.drain_seconds * 4
        while len(replayer.received) < prepared.replay_topic_events and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        took = (replayer.received[-1][1] - began) if replayer.received else float("nan")
        replay_cpu = cpu_seconds(pid) - replay_cpu
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await replayer.ws.close()
        ids = [entry for entry, _, _ in replayer.received]
        print(f"  replay: {len(ids)} of {prepared.replay_topic_events} events "
              f"({len(ids) - len(set(ids))} duplicated) in {took:.2f} s, server CPU {replay_cpu:.2f} s")


async def main_async(args: argparse.Namespace) -> None:
    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(f"live updates on {kind}, broker {args.broadcast_url or 'memory://'}, {args.workers} worker(s): "
          f"{args.subscribers} subscribers ({args.hot} on a hot account, the rest over {args.topics} accounts), "
          f"{args.writes_per_second:g} writes/s for {args.seconds:g} s, replay of {args.replay_events} events")
    with tempfile.TemporaryDirectory(prefix="relate-live-bench-") as directory:
        workdir = Path(directory)
        async with database(args, workdir) as (env, db):
            prepared = await prepare(env, db, args.replay_events)
            log = workdir / "serve.log"
            try:
                with server(env, free_port(), args.workers, log) as (base, pid):
                    await run(args, prepared, base, pid)
            finally:
                errors = [line for line in log.read_text(errors="replace").splitlines()
                          if "Error" in line or "Traceback" in line]
                if errors:
                    print(f"  server log: {len(errors)} error lines; the first:")
                    text_ = log.read_text(errors="replace")
                    first = text_.find("Traceback")
                    print(text_[first:first + 4000] if first >= 0 else errors[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--hot", type=int, default=None, help="subscribers on the hot account (default a tenth)")
    parser.add_argument("--topics", type=int, default=50, help="other accounts the rest follow")
    parser.add_argument("--writes-per-second", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long writes go on")
    parser.add_argument("--replay-events", type=int, default=10_000)
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite (a schema of its own, dropped after)")
    parser.add_argument("--broadcast-url", help="RELATE_BROADCAST_URL for the server (redis://… for --workers > 1)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--drain-seconds", type=float, default=30.0, help="longest wait for the last deliveries")
    args = parser.parse_args()
    if args.hot is None:
        args.hot = max(1, args.subscribers // 10)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

"""Two real server processes on one PostgreSQL schema and a shared broker (R-LIVE-3, R-LIVE-5).

A mutation made on process A reaches a subscriber on process B, and the broker goes away in
the middle: Redis is killed and started again (our own `redis-server` on a free port when
it is on PATH; otherwise the pub/sub connections of RELATE_TEST_BROADCAST_URL are cut with
CLIENT KILL), or for the PostgreSQL broker the LISTEN connections are terminated. The
servers poll the outbox only every two minutes, so every event after the outage must come
through the listener's reconnect and catch-up. The counts are printed: 0 lost, 0 duplicated.

Needs RELATE_TEST_DATABASE_URL (and RELATE_TEST_BROADCAST_URL for Redis); skips without
them, fails under RELATE_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from subscriptions.broker import LISTENER_NAME
from tests.live.conftest import TIMELINE_SUB
from tests.support.client import Api
from tests.support.databases import PostgresRun
from tests.support.org import build_org
from tests.support.processes import stop
from tests.support.ws import GraphQLWs, free_port, ws_connect

pytestmark = pytest.mark.services

REQUIRE = os.environ.get("RELATE_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("RELATE_TEST_DATABASE_URL")
BROADCAST_URL = os.environ.get("RELATE_TEST_BROADCAST_URL")
ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0
PER_PHASE = 15


def missing(what: str) -> None:
    if REQUIRE:
        pytest.fail(f"RELATE_REQUIRE_SERVICES=1 but {what}", pytrace=False)
    pytest.skip(what)


class RedisServer:
    """A throw-away redis-server on a free port: killing it touches nobody else."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


async def wait_redis(url: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        async with asyncio.timeout(WAIT):
            while True:
                try:
                    if await client.ping():
                        return
                except (aioredis.ConnectionError, OSError):
                    await asyncio.sleep(0.05)
    finally:
        await client.aclose()


class Outage:
    """How the broker goes away and comes back, for each kind of broker."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.own_redis: RedisServer | None = None
        self.description = ""
        if kind == "postgres":
            assert PG_URL
            self.url = PG_URL
            self.description = "LISTEN connections terminated"
        elif shutil.which("redis-server"):
            self.own_redis = RedisServer(tmp_path)
            self.url = self.own_redis.url
            self.description = "own redis-server killed (SIGKILL) and restarted"
        else:
            assert BROADCAST_URL
            self.url = BROADCAST_URL
            self.description = "CLIENT KILL TYPE pubsub on the given Redis"

    async def __aenter__(self) -> Outage:
        if self.own_redis:
            self.own_redis.start()
            await wait_redis(self.url)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.own_redis:
            self.own_redis.kill()

    async def begin(self) -> None:
        if self.own_redis:
            self.own_redis.kill()
        elif self.kind == "redis":
            client = aioredis.Redis.from_url(self.url)
            await client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            await client.aclose()
        else:
            conn = await asyncpg.connect("postgresql://" + self.url.split("://", 1)[1])
            await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE application_name = $1", LISTENER_NAME)
            await conn.close()

    async def end(self) -> None:
        if self.own_redis:
            self.own_redis.start()
            await wait_redis(self.url)


@contextmanager
def server_process(port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server.main:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--lifespan", "on"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stop(process)


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client, asyncio.timeout(WAIT * 2):
        while True:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


@asynccontextmanager
async def two_servers(run: PostgresRun, broker_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    env = {
        **os.environ, "RELATE_DATABASE_URL": run.url, "RELATE_DATABASE_SCHEMA": run.schema,
        "RELATE_BROADCAST_URL": broker_url, "RELATE_BROADCAST_CHANNEL": f"relate_test_{run.schema}",
        "RELATE_LIVE_POLL_SECONDS": "120", "RELATE_LIVE_BROKER_BACKOFF_MAX_SECONDS": "0.5",
        "RELATE_LIVE_BROKER_HEALTH_SECONDS": "2", "RELATE_LOG_LEVEL": "INFO",
    }
    ports = free_port(), free_port()
    with server_process(ports[0], env, tmp_path / "a.log"), server_process(ports[1], env, tmp_path / "b.log"):
        bases = tuple(f"http://127.0.0.1:{p}" for p in ports)
        await asyncio.gather(*(wait_ready(b) for b in bases))
        yield bases[0], bases[1]


async def receive(ws: GraphQLWs, op: str, count: int) -> list[str]:
    return [(await ws.next(op, timeout=WAIT))["timelineChanged"]["entryId"] for _ in range(count)]


@pytest.mark.parametrize("broker", ["redis", "postgres"])
async def test_events_cross_processes_and_survive_a_broker_outage(broker: str, pg_run: PostgresRun | None,
                                                                 tmp_path: Path) -> None:
    if pg_run is None or not PG_URL:
        missing("RELATE_TEST_DATABASE_URL is not set")
        return
    if broker == "redis" and not BROADCAST_URL:
        missing("RELATE_TEST_BROADCAST_URL is not set")
        return
    if broker == "redis" and urlsplit(BROADCAST_URL or "").scheme not in ("redis", "rediss"):
        pytest.skip("RELATE_TEST_BROADCAST_URL is not a Redis URL")
    db = await pg_run.fresh()
    try:
        org = await build_org(db)
    finally:
        await db.dispose()

    async with Outage(broker, tmp_path) as outage, two_servers(pg_run, outage.url, tmp_path) as (a, b):
        async with httpx.AsyncClient(base_url=a, timeout=WAIT) as http:
            api = Api(http, org.tokens)
            account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]["id"]
            contact = (await api.ok("createContact", {"firstName": "Chris", "lastName": "Preston",
                                                      "accountId": account}, "contact { id }"))["contact"]["id"]
            after = (await api("{ liveCursor }", as_="sales2"))["liveCursor"]

            async def tasks(label: str) -> list[str]:
                made = []
                for n in range(PER_PHASE):
                    payload = await api.ok("createTask", {"subject": f"{label} {n}", "regardingId": contact},
                                           "task { id }", as_="sales1")
                    made.append(payload["task"]["id"])
                return made

            b_ws = b.replace("http://", "ws://") + "/graphql"
            async with ws_connect(b_ws, org.tokens["sales2"]) as ws:
                op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
                created = await tasks("before")
                received = await receive(ws, op, PER_PHASE)

                await outage.begin()
                during = await tasks("during")
                created += during
                await outage.end()
                back = time.monotonic()
                received += await receive(ws, op, PER_PHASE)
                catch_up = time.monotonic() - back

                created += await tasks("after")
                received += await receive(ws, op, PER_PHASE)
                with pytest.raises(TimeoutError):  # and nothing more: no duplicate follows
                    await ws.next(op, timeout=1.0)

    lost = len(set(created) - set(received))
    duplicated = len(received) - len(set(received))
    b_log = (tmp_path / "b.log").read_text(errors="replace")
    print(f"\n[{broker}: {outage.description}] created {len(created)}, received {len(received)} "
          f"on the other process, lost {lost}, duplicated {duplicated}; the {PER_PHASE} made during "
          f"the outage arrived {catch_up:.2f}s after the broker was back")
    assert lost == 0 and duplicated == 0
    assert received == created  # in commit order
    assert "reconnected; catching up from the outbox" in b_log, b_log[-3000:]

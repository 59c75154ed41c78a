"""Crash safety (R-LIVE-3, SPEC §9): SIGKILL `relate serve` while it acknowledges a stream of
writes, restart it, and find every acknowledged write with its outbox events, and a
database that passes its integrity check and the invariants of tests/security/fuzzing.py.

Five kills in a row per backend in CI (fewer locally: tests/support/profile.py) (SQLite file; PostgreSQL schema of this run). A write is
acknowledged when its HTTP response arrived with no errors: the server answers only after
the commit, so each of those must survive the kill. Writes cut off by the kill may or may
not be there; either is fine, half of one is not (the invariants would say so).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from graph.db import Database
from graph.models import Activity, OutboxEvent, Record
from resolvers.ids import parse_global_id
from tests.security.fuzzing import invariants
from tests.support.org import Org
from tests.support.profile import PROFILE
from tests.support.ws import free_port

KILLS = PROFILE.crash_kills  # 5 in CI (tests/support/profile.py)
CLIENTS = 4
STARTUP_SECONDS = 30.0


@dataclass
class Acknowledged:
    accounts: list[uuid.UUID] = field(default_factory=list)
    tasks: list[uuid.UUID] = field(default_factory=list)
    cut_off: int = 0


def relate_command() -> list[str]:
    script = Path(sys.executable).with_name("relate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


def server_env(db: Database, tmp_path: Path, request_schema: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELATE_")}
    env.update({
        "RELATE_DATABASE_URL": db.url, "RELATE_BROADCAST_URL": "memory://", "RELATE_RATE_LIMIT_PER_SECOND": "0",
        "RELATE_FILE_STORE_DIR": str(tmp_path / "files"), "RELATE_LOG_LEVEL": "WARNING",
    })
    if request_schema:
        env["RELATE_DATABASE_SCHEMA"] = request_schema
    return env


@asynccontextmanager
async def served(env: dict[str, str], port: int, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`relate serve` on 127.0.0.1:port, up once /healthz answers; killed if still running at the end."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *relate_command(), "serve", "--host", "127.0.0.1", "--port", str(port), env=env,
            stdout=out, stderr=out, cwd=str(log.parent))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:
            async with asyncio.timeout(STARTUP_SECONDS):
                while True:
                    if process.returncode is not None:
                        raise AssertionError(f"relate serve exited with {process.returncode}: {log.read_text()[-2000:]}")
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)  # another process: there is no event to await
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stream_writes(port: int, token: str, regarding: str, acked: Acknowledged, stop: asyncio.Event) -> None:
    """One client: alternating createAccount and createTask, recording what was acknowledged."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            if n % 2:
                query = "mutation($i: CreateAccountInput!) { createAccount(input: $i) { errors { code } account { id } } }"
                variables, field_name, result = {"i": {"name": f"Crash {uuid.uuid4()}"}}, "createAccount", "account"
            else:
                query = "mutation($i: CreateTaskInput!) { createTask(input: $i) { errors { code } task { id } } }"
                variables = {"i": {"subject": f"Crash {uuid.uuid4()}", "regardingId": regarding}}
                field_name, result = "createTask", "task"
            try:
                response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            except httpx.TransportError:
                acked.cut_off += 1
                return  # the server is gone
            assert response.status_code == 200, response.text
            payload = response.json()["data"][field_name]
            assert payload["errors"] == [], payload
            parsed = parse_global_id(payload[result]["id"])
            assert parsed is not None
            (acked.accounts if result == "account" else acked.tasks).append(parsed[1])


async def kill_during_writes(env: dict[str, str], port: int, log: Path, token: str, regarding: str,
                             acked: Acknowledged, rng: random.Random) -> None:
    async with served(env, port, log) as process:
        stop = asyncio.Event()
        before = len(acked.accounts) + len(acked.tasks)
        clients = [asyncio.create_task(stream_writes(port, token, regarding, acked, stop)) for _ in range(CLIENTS)]
        # Kill at a random moment once writes are flowing.
        async with asyncio.timeout(STARTUP_SECONDS):
            while len(acked.accounts) + len(acked.tasks) < before + rng.randint(5, 40):
                await asyncio.sleep(0.005)
        await asyncio.sleep(rng.uniform(0, 0.2))
        process.send_signal(signal.SIGKILL)
        await process.wait()
        stop.set()
        await asyncio.gather(*clients)


async def missing_writes(db: Database, acked: Acknowledged) -> list[str]:
    problems = []
    async with db.read() as session:
        accounts = set(await session.scalars(select(Record.id).where(Record.id.in_(acked.accounts))))
        tasks = set(await session.scalars(select(Activity.id).where(Activity.id.in_(acked.tasks))))
        payloads = " ".join(json.dumps(p) for p in await session.scalars(select(OutboxEvent.payload)))
    for kind, wanted, found in (("account", acked.accounts, accounts), ("task", acked.tasks, tasks)):
        lost = [i for i in wanted if i not in found]
        if lost:
            problems.append(f"{len(lost)} acknowledged {kind}s lost, e.g. {lost[:3]}")
        without_events = [i for i in wanted if str(i) not in payloads]
        if without_events:
            problems.append(f"{len(without_events)} acknowledged {kind}s without outbox events, e.g. {without_events[:3]}")
    return problems


@pytest.mark.slow(25)
async def test_r_live_3_acknowledged_writes_survive_sigkill(db: Database, org: Org, tmp_path: Path,
                                                             backend: str, request) -> None:  # type: ignore[no-untyped-def]
    schema = request.getfixturevalue("pg_run").schema if backend == "postgresql" else None
    env = server_env(db, tmp_path, schema)
    port = free_port()
    log = tmp_path / "serve.log"
    rng = random.Random(int(os.environ.get("RELATE_CRASH_SEED", random.randrange(2**32))))
    acked = Acknowledged()
    async with served(env, port, log):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            made = await client.post("/graphql", headers={"Authorization": f"Bearer {org.tokens['sales1']}"}, json={
                "query": 'mutation { createAccount(input: {name: "Crash Target"}) { errors { code } account { id } } }'})
            regarding = made.json()["data"]["createAccount"]["account"]["id"]

    for kill in range(KILLS):
        await kill_during_writes(env, port, log, org.tokens["sales1"], regarding, acked, rng)
        problems = await missing_writes(db, acked)
        assert not problems, f"after kill {kill + 1}: {problems}"

    async with served(env, port, log):  # and it starts again on what the kills left
        pass
    problems = await invariants(db)
    if db.is_sqlite:
        async with db.read() as session:
            assert (await session.execute(text("PRAGMA integrity_check"))).scalar() == "ok"
    print(f"\ncrash ({backend}): {KILLS} SIGKILLs, {len(acked.accounts)} accounts and {len(acked.tasks)} tasks "
          f"acknowledged, 0 lost, {acked.cut_off} requests cut off by the kills")
    assert not problems, problems

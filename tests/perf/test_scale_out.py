"""`relate serve --workers 2` on PostgreSQL and Redis: the scale-out configuration of the
README, run as an operator runs it (R-LIVE-5).

The command starts two worker processes behind one port; reads and writes go to
whichever worker the kernel hands each new connection. Each worker has its own response
cache, so this is where a stale entry would show: every read after an acknowledged
change must be fresh on every worker, while repeated reads are served from the caches.
Here the workers' relay and doorbell also drop entries as soon as they hear of new
events, so a wrong freshness check could hide behind them; tests/perf/test_response_cache.py
proves the check itself, with nothing else dropping entries. (tests/live/test_scale_out.py
covers live events across processes and broker outages.)

Needs RELATE_TEST_DATABASE_URL and RELATE_TEST_BROADCAST_URL; skips without them, fails
under RELATE_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from subscriptions.relay import stamp_pending
from tests.support.client import Api
from tests.support.databases import PostgresRun
from tests.support.org import build_org
from tests.support.ws import free_port

pytestmark = pytest.mark.services

REQUIRE = os.environ.get("RELATE_REQUIRE_SERVICES") == "1"
BROADCAST_URL = os.environ.get("RELATE_TEST_BROADCAST_URL")
ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
READS = 12
TIMELINE = "query($id: ID!) { timeline(recordId: $id, first: 5) { totalCount nodes { ... on Activity { subject } } } }"


def missing(what: str) -> None:
    if REQUIRE:
        pytest.fail(f"RELATE_REQUIRE_SERVICES=1 but {what}", pytrace=False)
    pytest.skip(what)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


@contextlib.contextmanager
def relate_serve(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(WORKERS)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


async def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=base) as client, asyncio.timeout(120):
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)


async def fresh_reads(base: str, token: str, account: str) -> list[tuple[str, str]]:
    """READS reads, each on a new connection (so both workers answer some): (subject, cache)."""
    seen = []
    for _ in range(READS):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            response = await client.post("/graphql", json={"query": TIMELINE, "variables": {"id": account}},
                                         headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        seen.append((response.json()["data"]["timeline"]["nodes"][0]["subject"],
                     response.headers.get("x-relate-cache", "")))
    return seen


async def test_serve_with_workers_on_postgresql_and_redis_never_serves_a_stale_read(
    pg_run: PostgresRun | None, tmp_path: Path,
) -> None:
    if pg_run is None:
        missing("RELATE_TEST_DATABASE_URL is not set")
        return
    if not BROADCAST_URL or urlsplit(BROADCAST_URL).scheme not in ("redis", "rediss"):
        missing("RELATE_TEST_BROADCAST_URL is not set to a Redis URL")
        return
    db = await pg_run.fresh()
    try:
        org = await build_org(db)
        env = {**os.environ, "RELATE_DATABASE_URL": pg_run.url, "RELATE_DATABASE_SCHEMA": pg_run.schema,
               "RELATE_BROADCAST_URL": BROADCAST_URL, "RELATE_BROADCAST_CHANNEL": f"relate_test_{pg_run.schema}",
               "RELATE_RATE_LIMIT_PER_SECOND": "0", "RELATE_LOG_LEVEL": "WARNING", "RELATE_LOG_FORMAT": "text"}
        port, log = free_port(), tmp_path / "serve.log"
        base = f"http://127.0.0.1:{port}"
        with relate_serve(env, port, log) as process:
            await wait_ready(base, process, log)
            assert len(children(process.pid)) >= WORKERS, "uvicorn should run one process per worker"
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                api = Api(http, org.tokens)
                account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]["id"]
                contact = (await api.ok("createContact", {"firstName": "Chris", "lastName": "Preston",
                                                          "accountId": account}, "contact { id }"))["contact"]["id"]
                task = (await api.ok("createTask", {"subject": "subject 0", "regardingId": contact}, "task { id }",
                                     as_="sales1"))["task"]["id"]
                hits = 0
                for n in range(1, 4):
                    while (await stamp_pending(db, 1000)).count:  # as the workers' relay would, soon
                        pass
                    before = await fresh_reads(base, org.tokens["sales1"], account)
                    assert {s for s, _ in before} == {f"subject {n - 1}"}
                    hits += sum(c == "hit" for _, c in before)
                    # Acknowledged by one worker; every read after it, on either, must be fresh.
                    await api.ok("updateActivity", {"id": task, "subject": f"subject {n}"}, "", as_="sales1")
                    after = await fresh_reads(base, org.tokens["sales1"], account)
                    assert {s for s, _ in after} == {f"subject {n}"}, after
                assert hits > 0, "repeated reads should come from the workers' caches"
    finally:
        await db.dispose()

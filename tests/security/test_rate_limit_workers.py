"""The request rate limit across server processes (R-API-3): two real servers on one
database and one Redis allow a token the configured number of requests in all, not that
number each; with counts in each process's memory they allow it once per process.

Two `relate serve` processes on their own ports (rather than one `--workers 2` port), so
the test decides which process answers each request instead of the kernel: requests
alternate between them. The rate is tiny (a burst of 10 in a window of 1,000 s), so no
count depends on how fast the requests go.

Needs RELATE_TEST_BROADCAST_URL (Redis); skips without it, fails under
RELATE_REQUIRE_SERVICES=1. Runs on SQLite and, given RELATE_TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from graph.db import Database
from server.app import create_app
from tests.perf.test_scale_out import missing, wait_ready
from tests.support.databases import PostgresRun
from tests.support.databases import test_settings as app_settings
from tests.support.org import Org
from tests.support.processes import stop
from tests.support.ws import free_port

BROADCAST_URL = os.environ.get("RELATE_TEST_BROADCAST_URL")
ROOT = Path(__file__).resolve().parents[2]
BURST = 10
QUERY = {"query": "{ viewer { roles } }"}


def server_env(backend: str, db: Database, pg_run: PostgresRun | None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "RELATE_LOG_LEVEL": "WARNING", "RELATE_LOG_FORMAT": "text",
           "RELATE_RATE_LIMIT_PER_SECOND": str(BURST / 1000), "RELATE_RATE_LIMIT_BURST": str(BURST),
           # One channel (and so one key prefix) per test: nothing shared with other tests' counts.
           "RELATE_BROADCAST_CHANNEL": f"relate_test_{uuid.uuid4().hex[:10]}", **extra}
    if backend == "sqlite":
        env["RELATE_DATABASE_URL"] = db.url
    else:
        assert pg_run is not None
        env.update(RELATE_DATABASE_URL=pg_run.url, RELATE_DATABASE_SCHEMA=pg_run.schema)
    return env


@contextlib.asynccontextmanager
async def two_servers(env: dict[str, str], tmp_path: Path) -> AsyncIterator[list[str]]:
    """Two server processes sharing `env`; yields their base URLs once both answer."""
    bases: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        for n in range(2):
            port, log = free_port(), tmp_path / f"serve-{n}.log"
            out = stack.enter_context(log.open("wb"))
            process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            stack.callback(stop, process)
            bases.append(f"http://127.0.0.1:{port}")
            await wait_ready(bases[-1], process, log)
        yield bases


async def alternate(bases: list[str], token: str, requests: int) -> Counter[tuple[int, int]]:
    """`requests` requests, taking turns between the servers: (server, status) counts."""
    seen: Counter[tuple[int, int]] = Counter()
    headers = {"Authorization": f"Bearer {token}"}
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(base_url=b, timeout=30)) for b in bases]
        for n in range(requests):
            response = await clients[n % 2].post("/graphql", json=QUERY, headers=headers)
            assert response.status_code in (200, 429), response.text
            if response.status_code == 429:
                body = response.json()
                assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
                assert int(response.headers["Retry-After"]) >= 1
            seen[(n % 2, response.status_code)] += 1
    return seen


def redis_url() -> str:
    if not BROADCAST_URL or urlsplit(BROADCAST_URL).scheme not in ("redis", "rediss"):
        missing("RELATE_TEST_BROADCAST_URL is not set to a Redis URL")
    assert BROADCAST_URL is not None
    return BROADCAST_URL


@pytest.mark.services
async def test_two_workers_sharing_redis_allow_the_configured_rate_in_all(
    backend: str, db: Database, org: Org, request: pytest.FixtureRequest, tmp_path: Path,
) -> None:
    broker = redis_url()
    pg_run = request.getfixturevalue("pg_run") if backend == "postgresql" else None
    async with two_servers(server_env(backend, db, pg_run, RELATE_BROADCAST_URL=broker), tmp_path) as bases:
        seen = await alternate(bases, org.tokens["sales1"], 4 * BURST)
        # Both servers answered, refused alike, and let BURST through in all, not 2 × BURST.
        assert seen[(0, 200)] + seen[(1, 200)] == BURST, seen
        assert seen[(0, 429)] > 0 and seen[(1, 429)] > 0, seen
        # Another token has an allowance of its own, on either server.
        other = await alternate(bases, org.tokens["sales2"], 2)
        assert other[(0, 200)] + other[(1, 200)] == 2


@pytest.mark.services
async def test_with_counts_in_memory_each_worker_allows_the_rate_on_its_own(
    backend: str, db: Database, org: Org, request: pytest.FixtureRequest, tmp_path: Path,
) -> None:
    """The contrast that shows the shared count matters (and that each server counts)."""
    broker = redis_url()
    pg_run = request.getfixturevalue("pg_run") if backend == "postgresql" else None
    env = server_env(backend, db, pg_run, RELATE_BROADCAST_URL=broker, RELATE_RATE_LIMIT_STORAGE_URL="memory://")
    async with two_servers(env, tmp_path) as bases:
        seen = await alternate(bases, org.tokens["sales1"], 4 * BURST)
    assert (seen[(0, 200)], seen[(1, 200)]) == (BURST, BURST), seen


async def test_an_unreachable_counter_lets_requests_through(db: Database, org: Org, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Redis down must not take the API down: requests go through (and a warning is logged)."""
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = create_app(app_settings(file_store_dir=str(tmp_path / "files"), rate_limit_per_second=0.001,
                                   rate_limit_burst=1, rate_limit_storage_url=nowhere), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        for _ in range(3):
            response = await http.post("/graphql", json=QUERY,
                                       headers={"Authorization": f"Bearer {org.tokens['sales1']}"})
            assert response.status_code == 200, response.text
    assert caplog.text.count("rate limit storage unreachable") == 1  # said once, not per request

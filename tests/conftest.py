"""Fixtures: an app per test on SQLite (and on PostgreSQL when configured), users, a client.

`backend` is parametrised, so every API test that uses `api` runs on SQLite and, given
RELATE_TEST_DATABASE_URL, on PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from graph.db import Database
from server.app import create_app
from tests.support.client import Api
from tests.support.databases import PostgresRun, make_sqlite_template, postgres_run, sqlite_copy, test_settings
from tests.support.org import Org, build_org
from tests.support.profile import load_hypothesis_profile
from tests.support.sql_counter import SqlCounter

PROFILE = load_hypothesis_profile()


def pytest_report_header() -> str:
    return f"relate test profile: {PROFILE.name} (RELATE_TEST_PROFILE; tests/support/profile.py)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow(seconds)` first, longest first: pytest-xdist's `--dist load` (what
    `make test` uses) hands tests out round-robin in collection order, so the longest start
    at once on different workers and the short ones fill the gaps, instead of one worker
    finishing alone with the matrix. The sort is stable: every worker collects the same
    order, as xdist requires."""
    def expected_seconds(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return float(marker.args[0]) if marker is not None and marker.args else 0.0

    items.sort(key=lambda item: -expected_seconds(item))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def pg_run() -> Iterator[PostgresRun | None]:
    run = postgres_run()
    yield run
    if run is not None:
        run.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        run = request.getfixturevalue("pg_run")
        if run is None:
            pytest.skip("RELATE_TEST_DATABASE_URL not set")
    return str(request.param)


@pytest.fixture
async def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "sqlite":
        database = sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        database = await request.getfixturevalue("pg_run").fresh()
    yield database
    await database.dispose()


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return test_settings(file_store_dir=str(tmp_path / "files"))


@pytest.fixture
async def org(db: Database) -> Org:
    return await build_org(db)


@pytest.fixture
async def app(db: Database, settings):  # type: ignore[no-untyped-def]
    return create_app(settings, db=db)


@pytest.fixture
async def http(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relate.test") as client:
        yield client


@pytest.fixture
async def api(http: httpx.AsyncClient, org: Org) -> Api:
    return Api(http, org.tokens)


@pytest.fixture
def sql(db: Database) -> SqlCounter:
    return SqlCounter(db)

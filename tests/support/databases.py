"""Test databases: a migrated SQLite template copied per test; one PostgreSQL schema per run.

PostgreSQL is used when RELATE_TEST_DATABASE_URL is set. Under RELATE_REQUIRE_SERVICES=1 an
unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from graph.commands.setup import ensure_organisation
from graph.db import Database
from graph.migrate import upgrade
from graph.models import Base
from server.settings import Settings

T = TypeVar("T")
REQUIRE_SERVICES = os.environ.get("RELATE_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("RELATE_TEST_DATABASE_URL")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"webhook_allow_private": True}  # the tests' receivers listen on 127.0.0.1
    values.update(overrides)
    return Settings(database_url="sqlite+aiosqlite:///unused", **values)  # type: ignore[arg-type]


async def _organise(db: Database) -> None:
    settings = test_settings()
    async with db.unit_of_work() as session:
        await ensure_organisation(session, attachment_max_bytes=settings.attachment_max_bytes,
                                  blocked_extensions=settings.attachment_blocked_extensions)


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")

    async def organise() -> None:
        db = Database.connect(f"sqlite+aiosqlite:///{path}")
        await _organise(db)
        await db.dispose()

    run_blocking(organise())
    return path


def sqlite_copy(template: Path, directory: Path) -> Database:
    path = directory / f"relate-{uuid.uuid4().hex[:8]}.db"
    shutil.copy(template, path)
    return Database.connect(f"sqlite+aiosqlite:///{path}")


class PostgresRun:
    """A schema of its own for this test run, dropped at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.schema = f"relate_test_{uuid.uuid4().hex[:10]}"

    def create(self) -> None:
        async def run() -> None:
            db = Database.connect(self.url)
            async with db.writer.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            await db.dispose()

        run_blocking(run())
        upgrade(self.url, schema=self.schema)

    def drop(self) -> None:
        async def run() -> None:
            db = Database.connect(self.url)
            async with db.writer.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            await db.dispose()

        run_blocking(run())

    async def fresh(self) -> Database:
        """Empty every table (one statement) and set the organisation up again."""
        db = Database.connect(self.url, schema=self.schema, pool_size=5)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.writer.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # Custom fields' indexes are made at run time (graph/commands/custom_fields.py).
            found = await conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = :schema "
                                            "AND indexname LIKE 'ix\\_records\\_cf\\_%'"), {"schema": self.schema})
            for (name,) in found.all():
                await conn.execute(text(f'DROP INDEX "{self.schema}"."{name}"'))
        await _organise(db)
        return db


def postgres_run() -> PostgresRun | None:
    if not PG_URL:
        if REQUIRE_SERVICES:
            pytest.fail("RELATE_REQUIRE_SERVICES=1 but RELATE_TEST_DATABASE_URL is not set")
        return None
    run = PostgresRun(PG_URL)
    try:
        run.create()
    except Exception as exc:  # connection refused, auth, missing database…
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL at {PG_URL} is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return run

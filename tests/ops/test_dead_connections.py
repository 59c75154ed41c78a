"""A pooled PostgreSQL connection that died (database restart, idle timeout, dropped
socket) is never handed to a request after it sat idle (graph/db.py).

The pool pings a connection at checkout only after `IDLE_PING_SECONDS` in the pool (a ping
at every checkout costs three round trips). Here the idle time is set to zero or to an
hour instead of waiting: the tests kill the connection's backend and look at the next
read. A connection killed while in use fails its own request only.
"""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from graph import db as db_module
from graph.db import Database


async def backend_pid(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def kill(url: str, pid: int) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)  # waits until it is gone
    finally:
        await conn.close()


@pytest.fixture
def postgres(db: Database) -> Database:
    if db.is_sqlite:
        pytest.skip("SQLite opens its file per connection: nothing to die")
    return db


async def test_a_connection_that_died_while_idle_is_replaced_unseen(
    postgres: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pid = await backend_pid(postgres)
    await kill(postgres.url, pid)
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)  # "idle long enough" without waiting
    assert await backend_pid(postgres) not in (0, pid)  # a fresh connection answered


async def test_a_connection_back_in_use_at_once_is_not_pinged_and_a_failure_renews_the_pool(
    postgres: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a ping, a dead connection fails the one request that gets it; the pool then
    drops every connection opened before, and the next request works."""
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 3600.0)
    pid = await backend_pid(postgres)
    await kill(postgres.url, pid)
    with pytest.raises(DBAPIError):
        await backend_pid(postgres)
    assert await backend_pid(postgres) not in (0, pid)

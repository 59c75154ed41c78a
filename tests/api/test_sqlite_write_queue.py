"""Writes under load (graph/db.py): on SQLite the writers of a process queue for their
turn, first come first served, before BEGIN IMMEDIATE; a write that cannot get its turn
in time is answered UNAVAILABLE with Retry-After and writes nothing; a writer cancelled
half-way never leaves SQLite's write lock behind.

Concurrent writers run on both backends; the queue itself exists on SQLite only
(PostgreSQL writers do not wait for each other's whole transactions).
"""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from graph.db import Database
from graph.models import Activity
from tests.support.client import Api

WRITERS = 20
CREATE_TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { errors { code } task { id } } }"


async def tasks_named(db: Database, subject: str) -> int:
    async with db.read() as session:
        return int(await session.scalar(
            select(func.count()).select_from(Activity).where(Activity.subject == subject)) or 0)


def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the write queue is SQLite's: PostgreSQL writers do not wait for one another")


async def test_twenty_concurrent_writers_all_succeed(api: Api, db: Database) -> None:
    answers = await asyncio.gather(*(
        api.mutate("createTask", {"subject": "burst"}, "task { id }", as_="sales1") for _ in range(WRITERS)))
    assert [a["errors"] for a in answers] == [[]] * WRITERS
    assert await tasks_named(db, "burst") == WRITERS


async def test_a_write_that_cannot_get_its_turn_is_unavailable_with_retry_after_and_writes_nothing(
    api: Api, db: Database, backend: str,
) -> None:
    sqlite_only(backend)
    db.write_wait_seconds = 0.2  # RELATE_SQLITE_WRITE_WAIT_SECONDS
    async with db.unit_of_work():  # another write holds the turn all along
        response = await api.post(CREATE_TASK, {"input": {"subject": "overload"}}, as_="sales1")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None  # the payload is non-null: the error reaches the top
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAVAILABLE", "retryAfter": 1}
    assert "busy" in error["message"] and "Traceback" not in response.text
    assert response.headers["Retry-After"] == "1"
    assert await tasks_named(db, "overload") == 0
    # With its turn free again, the same request goes through.
    again = await api.mutate("createTask", {"subject": "overload"}, "task { id }", as_="sales1")
    assert again["errors"] == [] and await tasks_named(db, "overload") == 1


async def test_writers_take_their_turns_in_arrival_order(db: Database, backend: str) -> None:
    sqlite_only(backend)
    entered: list[int] = []

    async def write(n: int) -> None:
        async with db.unit_of_work() as session:
            entered.append(n)
            await session.execute(text("SELECT 1"))

    async with db.unit_of_work():
        writers = []
        for n in range(8):
            writers.append(asyncio.create_task(write(n)))
            await asyncio.sleep(0)  # the writer runs up to its place in the queue
    await asyncio.gather(*writers)
    assert entered == list(range(8))


async def test_a_writer_cancelled_at_any_point_leaves_the_database_writable(db: Database, backend: str) -> None:
    """A server stopping cancels its workers wherever they are. Whatever step the write was
    at (checkout, BEGIN IMMEDIATE, a statement, COMMIT), once the cancelled task is done no
    connection may still hold SQLite's write lock: another connection gets it at once."""
    sqlite_only(backend)
    path = urlsplit(db.url.replace("sqlite+aiosqlite:", "sqlite:")).path
    steps = 0
    while True:
        finished = asyncio.Event()

        async def write() -> None:
            async with db.unit_of_work() as session:
                await session.execute(text("UPDATE webhooks SET failures = failures + 1"))
                await session.execute(text("SELECT count(*) FROM webhooks"))
            finished.set()

        writer = asyncio.create_task(write())
        for _ in range(steps):
            await asyncio.sleep(0)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        other = sqlite3.connect(path, timeout=0, isolation_level=None)  # no busy wait at all
        try:
            other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the lock leaked
            other.execute("ROLLBACK")
        finally:
            other.close()
        if finished.is_set():  # the write got to its end before the cancel: every step was tried
            break
        steps += 1
    assert steps > 3

"""Appending events to the outbox in the caller's transaction (R-LIVE-3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.bulk_insert import insert_rows
from graph.events import Event
from graph.models import EventTopic, OutboxEvent


async def publish(session: AsyncSession, events: Iterable[Event], actor_id: uuid.UUID | None, now: datetime) -> None:
    """Write events and their topics; they leave the process only after commit."""
    for ev in events:
        row = OutboxEvent(kind=ev.kind, payload=ev.payload(), actor_id=actor_id, created_on=now)
        session.add(row)
        await session.flush()
        topics = sorted(set(ev.topics()))
        if topics:
            await session.execute(
                insert(EventTopic), [{"event_id": row.id, "topic": t} for t in topics]
            )


def topic_values(*parts: Any) -> str:
    return ":".join(str(p) for p in parts)


async def publish_many(session: AsyncSession, events: Sequence[Event], actor_id: uuid.UUID | None,
                       now: datetime) -> None:
    """The rows `publish` writes, for many events at once: every event in one statement,
    then every topic in one executemany. For bulk work such as an import; `publish` stays
    the path of every single change.

    The events' ids are needed for their topics. PostgreSQL returns them in parameter order
    from one batched INSERT … RETURNING; SQLite cannot promise that order, so there the ids
    are given: the next ones after the largest, which is what SQLite itself would assign
    (an INTEGER PRIMARY KEY without AUTOINCREMENT), safe because the write transaction
    holds the database's only write lock (BEGIN IMMEDIATE).
    """
    if not events:
        return
    await session.flush()  # rows the events are about go first
    connection = await session.connection()
    table = OutboxEvent.__table__
    same = {"actor_id": actor_id, "created_on": now}
    if connection.dialect.name == "sqlite":
        last = await connection.scalar(select(func.max(table.c.id))) or 0
        ids = list(range(last + 1, last + 1 + len(events)))
        await insert_rows(connection, table, ("id", "kind", "payload"),
                          [(i, ev.kind, ev.payload()) for i, ev in zip(ids, events, strict=True)], same)
    else:
        returned = await connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                            [{"kind": ev.kind, "payload": ev.payload(), **same} for ev in events])
        ids = list(returned.scalars())
    await insert_rows(connection, EventTopic.__table__, ("event_id", "topic"),
                      [(event_id, t) for event_id, ev in zip(ids, events, strict=True) for t in sorted(set(ev.topics()))])

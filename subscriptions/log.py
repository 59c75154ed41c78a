"""Reading the outbox by its public cursor `seq` (DESIGN §5).

The outbox is the log: replay, fan-out and catch-up after a broker outage all read it
here, in pages, by `seq` (gap-free, commit-ordered, stamped by the relay). Cursors given
to clients are opaque strings around a seq.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from graph.db import Database
from graph.models import EventTopic, OutboxEvent

CURSOR_PREFIX = "ev:"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One committed, stamped event as subscribers see it."""

    seq: int
    kind: str
    payload: dict[str, Any]
    actor_id: uuid.UUID | None
    created_on: datetime
    topics: tuple[str, ...] = ()

    @property
    def cursor(self) -> str:
        return encode_cursor(self.seq)


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    """The seq inside a cursor, or None when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not text.startswith(CURSOR_PREFIX):
        return None
    number = text[len(CURSOR_PREFIX):]
    return int(number) if number.isdigit() else None


_COLUMNS = (OutboxEvent.id, OutboxEvent.seq, OutboxEvent.kind, OutboxEvent.payload,
            OutboxEvent.actor_id, OutboxEvent.created_on)


async def head(db: Database) -> int:
    """The highest stamped seq (0 on an empty log)."""
    async with db.read() as session:
        return int(await session.scalar(select(func.coalesce(func.max(OutboxEvent.seq), 0))) or 0)


async def floor(db: Database) -> int | None:
    """The lowest seq still kept (retention sweeps delete a prefix), None on an empty log."""
    async with db.read() as session:
        value = await session.scalar(select(func.min(OutboxEvent.seq)))
    return None if value is None else int(value)


async def page_after(db: Database, after: int, limit: int) -> list[LogEvent]:
    """The next events of every topic, with their topics: what the dispatcher fans out."""
    async with db.read() as session:
        rows = (await session.execute(
            select(*_COLUMNS).where(OutboxEvent.seq > after).order_by(OutboxEvent.seq).limit(limit)
        )).all()
        topics: dict[int, list[str]] = {}
        if rows:
            found = await session.execute(
                select(EventTopic.event_id, EventTopic.topic)
                .where(EventTopic.event_id.in_([r.id for r in rows]))
            )
            for event_id, topic in found:
                topics.setdefault(event_id, []).append(topic)
    return [_event(r, tuple(sorted(topics.get(r.id, ())))) for r in rows]


async def topic_page_after(db: Database, topic: str, after: int, limit: int) -> list[LogEvent]:
    """The next events of one topic: what a resuming subscriber replays.

    A range of the (topic, seq) index (the relay copies each event's seq onto its topic
    rows), then each event by its primary key: a page costs its own rows, not the topic's."""
    async with db.read() as session:
        rows = (await session.execute(
            select(*_COLUMNS)
            .select_from(EventTopic)
            .join(OutboxEvent, OutboxEvent.id == EventTopic.event_id)
            .where(EventTopic.topic == topic, EventTopic.seq > after)
            .order_by(EventTopic.seq)
            .limit(limit)
        )).all()
    return [_event(r, (topic,)) for r in rows]


def _event(row: Any, topics: Sequence[str]) -> LogEvent:
    return LogEvent(seq=int(row.seq), kind=row.kind, payload=row.payload, actor_id=row.actor_id,
                    created_on=row.created_on, topics=tuple(topics))

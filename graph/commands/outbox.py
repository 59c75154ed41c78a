"""Appending events to the outbox in the caller's transaction (R-LIVE-3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

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

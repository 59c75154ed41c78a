"""One-line helpers for activity tests: make activities through the API, read what the
timeline index and the outbox hold for them."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from graph.db import Database
from graph.models import Note, OutboxEvent, TimelineCount
from resolvers.ids import parse_global_id
from tests.support.client import Api

ACTIVITY_FIELDS = ("id __typename type subject state statusReason priority due version noteCount actualEnd "
                   "isPersonal regarding { id name } owner { ... on User { fullName } ... on Team { name } } "
                   "modifiedBy { ... on User { fullName } }")


def raw(global_id: str) -> uuid.UUID:
    parsed = parse_global_id(global_id)
    assert parsed is not None, global_id
    return parsed[1]


async def task(api: Api, subject: str, *, as_: str = "sales1", **fields: Any) -> dict[str, Any]:
    payload = await api.ok("createTask", {"subject": subject, **fields}, f"task {{ {ACTIVITY_FIELDS} }}", as_=as_)
    return payload["task"]


async def timeline_states(db: Database, record_global_id: str) -> Counter[str]:
    """Entries per state on one record's timeline, as `timeline_counts` keeps them."""
    async with db.read() as session:
        rows = await session.execute(
            select(TimelineCount.state, func.sum(TimelineCount.count))
            .where(TimelineCount.record_id == raw(record_global_id))
            .group_by(TimelineCount.state)
        )
        return Counter({state: int(n) for state, n in rows if n})


async def timeline_owners(db: Database, record_global_id: str) -> Counter[uuid.UUID]:
    async with db.read() as session:
        rows = await session.execute(
            select(TimelineCount.owner_id, func.sum(TimelineCount.count))
            .where(TimelineCount.record_id == raw(record_global_id))
            .group_by(TimelineCount.owner_id)
        )
        return Counter({owner: int(n) for owner, n in rows if n})


async def notes_on(db: Database, activity_global_id: str) -> list[Note]:
    async with db.read() as session:
        return list(await session.scalars(select(Note).where(Note.activity_id == raw(activity_global_id))))


async def outbox_kinds(db: Database) -> Counter[str]:
    async with db.read() as session:
        rows = await session.execute(select(OutboxEvent.kind, func.count()).group_by(OutboxEvent.kind))
        return Counter({kind: int(n) for kind, n in rows})

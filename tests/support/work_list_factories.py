"""One-line helpers for sequence and work-list tests: make sequences, leads and
opportunities through the API, connect them, read up next and the work-list events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from graph.db import Database
from graph.models import EventTopic, OutboxEvent
from tests.support.client import Api

OWNER = "owner { __typename ... on User { fullName } ... on Team { name } }"
ITEM = (f"id kind subject instructions due priority state isManual position snoozeCount endedOn {OWNER} "
        "record { id name } sequence { name } activity { id __typename state dueAt: due }")
UP_NEXT = (f"upNext {{ sequenceState record {{ id }} sequence {{ name }} current {{ {ITEM} }} "
           f"upcoming {{ position kind subject expectedDue {OWNER} }} completed {{ {ITEM} }} manual {{ {ITEM} }} }}")
STEP = f"step {{ {ITEM} }} next {{ {ITEM} }} {UP_NEXT}"

# Email now; two days later a call; then a task; four hours later a meeting.
STEPS: list[dict[str, Any]] = [
    {"kind": "EMAIL", "subject": "Introduce yourself", "instructions": "Use the intro template"},
    {"kind": "WAIT", "waitDays": 2},
    {"kind": "PHONE_CALL", "subject": "Discovery call", "priority": "HIGH"},
    {"kind": "TASK", "subject": "Send the brochure"},
    {"kind": "WAIT", "waitHours": 4},
    {"kind": "MEETING", "subject": "Product demo"},
]


async def make_sequence(api: Api, name: str = "New lead outreach", steps: list[dict[str, Any]] | None = None,
                        *, as_: str = "manager") -> dict[str, Any]:
    payload = await api.ok("createSequence", {"name": name, "steps": steps or STEPS},
                           "sequence { id name activityStepCount steps { position kind subject waitMinutes } }",
                           as_=as_)
    return payload["sequence"]


async def lead(api: Api, last: str = "Preston", *, as_: str = "sales1", **fields: Any) -> str:
    values = {"topic": f"Interested in bikes ({last})", "firstName": "Chris", "lastName": last, **fields}
    return (await api.ok("createLead", values, "lead { id }", as_=as_))["lead"]["id"]


async def opportunity(api: Api, topic: str, *, as_: str = "sales1", **fields: Any) -> str:
    return (await api.ok("createOpportunity", {"topic": topic, **fields}, "opportunity { id }", as_=as_))[
        "opportunity"]["id"]


async def connect(api: Api, sequence_id: str, record_id: str, *, as_: str = "sales1") -> dict[str, Any]:
    payload = await api.ok("connectSequence", {"sequenceId": sequence_id, "recordId": record_id}, UP_NEXT, as_=as_)
    return payload["upNext"]


async def up_next(api: Api, record_id: str, *, as_: str = "sales1") -> dict[str, Any]:
    query = f"query($id: ID!) {{ {UP_NEXT.replace('upNext', 'upNext(recordId: $id)', 1)} }}"
    return (await api(query, {"id": record_id}, as_=as_))["upNext"]


async def connected_lead(api: Api, *, as_: str = "sales1", **fields: Any) -> tuple[str, dict[str, Any]]:
    """A lead of `as_` with the standard sequence connected; returns (lead id, up next)."""
    sequence = await make_sequence(api)
    record = await lead(api, as_=as_, **fields)
    return record, await connect(api, sequence["id"], record, as_=as_)


async def work_list_events(db: Database, user_id: uuid.UUID, after_id: int = 0) -> list[tuple[str, str | None]]:
    """(change, recordId) of the worklist events for one user, oldest first."""
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxEvent.payload).join(EventTopic, EventTopic.event_id == OutboxEvent.id)
            .where(EventTopic.topic == f"worklist:{user_id}", OutboxEvent.kind == "worklist.changed",
                   OutboxEvent.id > after_id)
            .order_by(OutboxEvent.id))
        return [(p["change"], p["recordId"]) for (p,) in rows]


async def last_event_id(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(1)) or 0)

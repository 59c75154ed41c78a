"""Reassign records (R-ADM-2, as Dynamics does when someone leaves): every open record and
activity a user owns goes to another user or team in one call.

Each row moves through the same command a single change of owner uses, so timelines,
counts, work lists, sequences, the audit trail and live events follow exactly as they do
for `changeOwner` and `assignActivities`; the result counts what moved, per type.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import records
from graph.commands.activity_changes import assign_activities
from graph.commands.common import assignee
from graph.models import Activity, Record, User
from graph.rules.activities import MAX_BULK
from graph.rules.access import Scope
from graph.rules.activity_states import OPEN_STATES
from graph.rules.errors import DomainError, ErrorCode, not_found

OPEN_RECORD_STATES = ("ACTIVE", "OPEN")


@dataclass
class Reassigned:
    """How many rows moved, by record type (ACCOUNT, CONTACT, …) and activities."""

    records: dict[str, int] = field(default_factory=dict)
    activities: int = 0


async def reassign_records(session: AsyncSession, scope: Scope, from_user_id: uuid.UUID,
                           to_owner_id: uuid.UUID, now: datetime) -> Reassigned:
    scope.require_configuration()
    if await session.get(User, from_user_id) is None:
        raise not_found("user", ["input", "fromUserId"])
    target = await assignee(session, to_owner_id, ("input", "toOwnerId"))
    if target.id == from_user_id:
        raise DomainError(ErrorCode.VALIDATION, "give the records to someone else", ["input", "toOwnerId"])
    moved = Reassigned()
    owned = (await session.execute(
        select(Record.id, Record.type).where(Record.owner_id == from_user_id, Record.state.in_(OPEN_RECORD_STATES))
        .order_by(Record.id)
    )).all()
    for record_id, record_type in owned:
        await records.change_owner(session, scope, record_id, target.id, now)
        moved.records[record_type] = moved.records.get(record_type, 0) + 1
    activity_ids = list((await session.scalars(
        select(Activity.id).where(Activity.owner_id == from_user_id, Activity.state.in_(sorted(OPEN_STATES)))
        .order_by(Activity.id)
    )).all())
    for start in range(0, len(activity_ids), MAX_BULK):
        outcomes = await assign_activities(session, scope, activity_ids[start:start + MAX_BULK], target.id, now)
        refused = [o.problem for o in outcomes if o.problem is not None]
        if refused:
            raise DomainError(problems=refused)
        moved.activities += len(outcomes)
    return moved

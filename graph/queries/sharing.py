"""Shared records in the read predicate (R-ADM-6, DESIGN §6).

A grant opens one record, its timeline and its live events to a user or team as if their
role allowed it. The predicate is an EXISTS on the grants' primary key (record, principal)
for the viewer and their teams, added to the one read predicate of records
(`graph.queries.records.readable`), of timeline rows and of the activities and notes on a
shared record's timeline, so lists, node, counts, reports, quick find and event checks all
see the same rows.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from graph.models import RecordGrant, TimelineEntry
from graph.rules.access import Scope

RIGHTS = ("read", "write", "append", "assign", "share")
# The action a command checks → the right a grant must give for it.
RIGHT_FOR_ACTION = {"read": "read", "write": "write", "append_to": "append", "assign": "assign", "share": "share"}


def shared_with(scope: Scope, record_col: Any, right: str = "read") -> ColumnElement[bool]:
    """The record in `record_col` is shared with the viewer or one of their teams."""
    return exists().where(
        RecordGrant.record_id == record_col,
        RecordGrant.principal_id.in_(sorted(scope.principal_ids)),
        getattr(RecordGrant, f"can_{right}").is_(True),
    )


def on_a_shared_timeline(scope: Scope, entry_col: Any) -> ColumnElement[bool]:
    """The activity or note in `entry_col` is on the timeline of a record shared with the viewer."""
    te = aliased(TimelineEntry)  # the outer statement may read timeline rows too: no correlation with them
    return exists().where(te.entry_id == entry_col, shared_with(scope, te.record_id))


async def granted(session: AsyncSession, scope: Scope, record_id: uuid.UUID, action: str) -> bool:
    """Does a grant let the viewer take `action` on this one record?"""
    right = RIGHT_FOR_ACTION.get(action)
    if right is None:
        return False
    return bool(await session.scalar(select(shared_with(scope, record_id, right))))

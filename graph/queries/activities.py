"""Reading activities within the viewer's read scope: lookups, "My activities" and counts (R-VIEW-1).

The list and its counts share one WHERE clause (filter + read scope), so the counts are
always of exactly what the list shows. Orderings are keyset orderings; `due` may be
null, so it sorts as COALESCE(due, sentinel) with the sentinel chosen so that activities
without a due date come last in either direction, in SQL and in the cursor alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Activity
from graph.models.base import UTCDateTime
from graph.queries.keyset import SortKey
from graph.queries.sharing import on_a_shared_timeline
from graph.rules import activity_states as states
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode

LATEST = datetime(9999, 12, 31, tzinfo=UTC)
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
PRIORITY_RANK = {"LOW": 1, "NORMAL": 2, "HIGH": 3}


def readable_activities(scope: Scope, *, deleted: bool = False, table: Any = None) -> ColumnElement[bool]:
    """By the viewer's roles, or on the timeline of a record shared with them (R-ADM-6).
    An activity in the recycle bin (R-QRY-4) is hidden everywhere; `deleted=True` reads
    only those (`deletedItems`; a deleted activity is on no timeline, so by roles only).
    `table`: an alias of `activities` (a relationship filter's EXISTS), default the mapped table."""
    columns = Activity if table is None else table.c
    if deleted:
        return and_(columns.deleted_on.is_not(None),
                    scope.read_filter("activity", columns.owner_id, columns.owning_business_unit_id))
    if scope.reads_everything("activity"):
        return columns.deleted_on.is_(None)
    return and_(columns.deleted_on.is_(None),
                or_(scope.read_filter("activity", columns.owner_id, columns.owning_business_unit_id),
                    on_a_shared_timeline(scope, columns.id)))


async def activities_by_id(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Activity]:
    rows = await session.scalars(select(Activity).where(Activity.id.in_(list(ids)), readable_activities(scope)))
    return {a.id: a for a in rows}


@dataclass(frozen=True)
class ActivityFilter:
    """Every given condition must hold. `owner_ids` None means any owner."""

    owner_ids: Sequence[uuid.UUID] | None = None
    types: Sequence[str] | None = None
    states: frozenset[str] | None = None
    regarding_id: uuid.UUID | None = None
    personal_only: bool = False
    due_after: datetime | None = None
    due_before: datetime | None = None
    # A rich filter (R-QRY-1), translated by `graph.queries.filter_fields.where("ACTIVITY", …)`.
    where: ColumnElement[bool] | None = field(default=None, compare=False)


def conditions(scope: Scope, flt: ActivityFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [readable_activities(scope)]
    if flt.owner_ids is not None:
        found.append(Activity.owner_id.in_(list(flt.owner_ids)) if flt.owner_ids else false())
    if flt.types:
        found.append(Activity.type.in_(list(flt.types)))
    if flt.states is not None:
        found.append(Activity.state.in_(sorted(flt.states)) if flt.states else false())
    if flt.regarding_id is not None:
        found.append(Activity.regarding_id == flt.regarding_id)
    if flt.personal_only:
        found.append(Activity.regarding_id.is_(None))
    # Half-open range [dueAfter, dueBefore): adjacent ranges never count an activity twice.
    if flt.due_after is not None:
        found.append(Activity.due >= flt.due_after)
    if flt.due_before is not None:
        found.append(Activity.due < flt.due_before)
    if flt.where is not None:
        found.append(flt.where)
    return found


def list_query(scope: Scope, flt: ActivityFilter) -> Select[tuple[Activity]]:
    return select(Activity).where(*conditions(scope, flt))


async def counts(session: AsyncSession, scope: Scope, flt: ActivityFilter) -> dict[tuple[str, str], int]:
    """Activities per (type, state) under the same filter and scope as the list."""
    rows = await session.execute(
        select(Activity.type, Activity.state, func.count())
        .where(*conditions(scope, flt))
        .group_by(Activity.type, Activity.state)
    )
    return {(t, s): int(n) for t, s, n in rows}


def _due_key(descending: bool) -> Any:
    sentinel = EARLIEST if descending else LATEST
    return func.coalesce(Activity.due, literal(sentinel, UTCDateTime()), type_=UTCDateTime())


_PRIORITY = case(PRIORITY_RANK, value=Activity.priority, else_=0)
ORDER_COLUMNS = {"CREATED_ON": Activity.created_on, "MODIFIED_ON": Activity.modified_on, "PRIORITY": _PRIORITY}


def sort_keys(order_by: Sequence[tuple[str, bool]]) -> list[SortKey]:
    """The requested ordering (default: due, soonest first), ended by the id for uniqueness."""
    keys = [SortKey(name, _due_key(desc) if name == "DUE" else ORDER_COLUMNS[name], desc) for name, desc in order_by]
    if not keys:
        keys = [SortKey("DUE", _due_key(False))]
    return [*keys, SortKey("ID", Activity.id, keys[-1].descending)]


def position(row: Activity, keys: Sequence[SortKey]) -> list[Any]:
    """The row's values of `keys`, computed as the SQL computes them."""
    values: list[Any] = []
    for key in keys:
        if key.name == "DUE":
            values.append(row.due or (EARLIEST if key.descending else LATEST))
        elif key.name == "PRIORITY":
            values.append(PRIORITY_RANK.get(row.priority, 0))
        elif key.name == "ID":
            values.append(row.id)
        else:
            values.append(getattr(row, ORDER_COLUMNS[key.name].key))
    return values


def state_filter(states_given: Sequence[str] | None, group: str | None) -> frozenset[str] | None:
    return states.states_for(states_given, group)


def make_filter(
    scope: Scope, *, owner: str | None = None, owner_ids: Sequence[uuid.UUID] | None = None,
    types: Sequence[str] | None = None, states_given: Sequence[str] | None = None, group: str | None = None,
    regarding_id: uuid.UUID | None = None, personal_only: bool = False,
    due_after: datetime | None = None, due_before: datetime | None = None,
    where: ColumnElement[bool] | None = None,
) -> ActivityFilter:
    """R-VIEW-1's filter in plain values. Owner: ME by default, MY_TEAMS, ANY, or given ids."""
    if owner is not None and owner_ids is not None:
        raise DomainError(ErrorCode.VALIDATION, "give owner or ownerIds, not both", ("filter", "ownerIds"))
    if regarding_id is not None and personal_only:
        raise DomainError(ErrorCode.VALIDATION, "give regarding or regardingNone, not both",
                          ("filter", "regardingNone"))
    if owner_ids is None:
        owner_ids = {"ME": [scope.user_id], "MY_TEAMS": sorted(scope.team_ids), "ANY": None}[owner or "ME"]
    return ActivityFilter(owner_ids=owner_ids, types=types, states=state_filter(states_given, group),
                          regarding_id=regarding_id, personal_only=personal_only,
                          due_after=due_after, due_before=due_before, where=where)

"""The recycle bin (R-QRY-4): delete records and activities, restore them, purge them.

Deleting stamps `deleted_on`; the read predicates (`queries.records.readable`,
`queries.activities.readable_activities`) hide the row from then on, and the timeline
index takes it off every timeline (counts included) through the one roll-up rule: a
deleted activity has no facts, a deleted record shows nothing and passes nothing up
(`timeline_index`). Restoring clears the stamp and syncs the same entries again, so they
come back on every timeline the rule puts them on — the ones they were on. Each id is
done or refused on its own (per-id results, as the bulk activity operations do).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.common import secured_type
from graph.commands.outbox import publish
from graph.events import RecordChanged
from graph.models import Activity, ActivityParty, Note, Record, TimelineEntry
from graph.queries.sharing import granted
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.rollup import MAX_CHAIN

MAX_IDS = 500
records = Record.__table__


@dataclass
class Outcome:
    """One id of a recycle-bin call: done, or why not."""

    item_id: uuid.UUID
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _check_size(ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_IDS:
        raise DomainError(ErrorCode.VALIDATION, f"at most {MAX_IDS} ids at once", ("input", "ids"))
    return unique


async def _may_delete(session: AsyncSession, scope: Scope, row: Record | Activity) -> Problem | None:
    """NOT_FOUND unless the viewer reads it (role or grant); FORBIDDEN without the delete right."""
    if isinstance(row, Activity):
        if not scope.can("read", "activity", row):
            return Problem(ErrorCode.NOT_FOUND, "activity not found")
        if not scope.can("delete", "activity", row):
            return Problem(ErrorCode.FORBIDDEN, "you may not delete this activity")
        return None
    secured = secured_type(row.type)
    if not (scope.can("read", secured, row) or await granted(session, scope, row.id, "read")):
        return Problem(ErrorCode.NOT_FOUND, "record not found")
    if not scope.can("delete", secured, row):
        return Problem(ErrorCode.FORBIDDEN, f"you may not delete this {secured}")
    return None


async def delete_records(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], now: datetime) -> list[Outcome]:
    """Each allowed record goes to the recycle bin and off every timeline."""
    outcomes: list[Outcome] = []
    for index, record_id in enumerate(_check_size(ids)):
        path = ("input", "ids", str(index))
        row = await session.get(Record, record_id, with_for_update=True)
        problem = (Problem(ErrorCode.NOT_FOUND, "record not found") if row is None or row.deleted_on is not None
                   else await _may_delete(session, scope, row))
        if problem is not None:
            outcomes.append(Outcome(record_id, Problem(problem.code, problem.message, path)))
            continue
        assert row is not None
        row.deleted_on = now
        row.deleted_by_id = scope.user_id
        await session.flush()
        await timeline_index.record_moved(session, row.id, now, scope.user_id)
        await publish(session, [RecordChanged(row.id, row.type, "DELETED")], scope.user_id, now)
        outcomes.append(Outcome(record_id))
    return outcomes


async def delete_activities(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], now: datetime) -> list[Outcome]:
    """Each allowed activity (with its notes) goes to the recycle bin and off every timeline."""
    outcomes: list[Outcome] = []
    for index, activity_id in enumerate(_check_size(ids)):
        path = ("input", "ids", str(index))
        row = await session.get(Activity, activity_id, with_for_update=True)
        problem = (Problem(ErrorCode.NOT_FOUND, "activity not found") if row is None or row.deleted_on is not None
                   else await _may_delete(session, scope, row))
        if problem is not None:
            outcomes.append(Outcome(activity_id, Problem(problem.code, problem.message, path)))
            continue
        assert row is not None
        row.deleted_on = now
        row.deleted_by_id = scope.user_id
        await session.flush()
        await timeline_index.sync(session, [row.id], now, scope.user_id)
        outcomes.append(Outcome(activity_id))
    return outcomes


async def restore(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], now: datetime) -> list[Outcome]:
    """Records and activities out of the recycle bin, back on every timeline they were on.
    Whoever may delete an item may restore it; an item not in the bin is NOT_FOUND."""
    outcomes: list[Outcome] = []
    for index, item_id in enumerate(_check_size(ids)):
        path = ("input", "ids", str(index))
        row: Record | Activity | None = await session.get(Record, item_id, with_for_update=True)
        if row is None:
            row = await session.get(Activity, item_id, with_for_update=True)
        problem = (Problem(ErrorCode.NOT_FOUND, "deleted item not found") if row is None or row.deleted_on is None
                   else await _may_delete(session, scope, row))
        if problem is not None and problem.code == ErrorCode.NOT_FOUND:  # missing and unreadable alike
            problem = Problem(ErrorCode.NOT_FOUND, "deleted item not found")
        if problem is not None:
            outcomes.append(Outcome(item_id, Problem(problem.code, problem.message, path)))
            continue
        assert row is not None
        row.deleted_on = None
        row.deleted_by_id = None
        await session.flush()
        if isinstance(row, Activity):
            await timeline_index.sync(session, [row.id], now, scope.user_id)
        else:
            await timeline_index.sync(session, await entries_about(session, row.id), now, scope.user_id)
            await publish(session, [RecordChanged(row.id, row.type, "RESTORED")], scope.user_id, now)
        outcomes.append(Outcome(item_id))
    return outcomes


async def entries_about(session: AsyncSession, record_id: uuid.UUID) -> list[uuid.UUID]:
    """Every entry the roll-up rule could show on this record's timeline: those about it or
    naming it, and those on the timelines of the records that roll up into it."""
    below = await rolling_up_into(session, record_id)
    found = set((await session.scalars(
        select(TimelineEntry.entry_id).where(TimelineEntry.record_id.in_(below))
    )).all()) if below else set()
    found |= set((await session.scalars(select(Activity.id).where(Activity.regarding_id == record_id))).all())
    found |= set((await session.scalars(
        select(ActivityParty.activity_id).where(ActivityParty.party_id == record_id))).all())
    found |= set((await session.scalars(select(Note.id).where(Note.record_id == record_id))).all())
    return sorted(found)


async def rolling_up_into(session: AsyncSession, record_id: uuid.UUID) -> list[uuid.UUID]:
    """Live records whose roll-up chain reaches this one (contacts of an account, its
    opportunities and cases, theirs …), walked down as far as the rule walks up."""
    found: set[uuid.UUID] = set()
    frontier = {record_id}
    for _ in range(MAX_CHAIN):
        rows = (await session.scalars(
            select(records.c.id).where(
                or_(records.c.account_id.in_(frontier), records.c.customer_id.in_(frontier),
                    records.c.qualified_opportunity_id.in_(frontier)),
                records.c.deleted_on.is_(None))
        )).all()
        frontier = set(rows) - found - {record_id}
        if not frontier:
            break
        found |= frontier
    return sorted(found)

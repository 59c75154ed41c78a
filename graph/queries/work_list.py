"""The work list (R-WL-1), up next (R-WL-2) and the sequences list, within read scope.

A work-list item is an activity regarding a record that is either the current step of a
running sequence, or a manual open activity with a due time. Which of a record's items is
*current* is decided once, by `current_order`, and both the work list and up next use it:
the sequence's step first (as Dynamics' Up next shows the step, with the manual
activities listed by due beside it), then manual activities by due, priority (high
first), id. The work list holds one entry per record, the caller's current item, picked by
a window function in the same statement as the page, so a page is one query whatever its
size. Paused sequences keep their current step off the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Activity, RecordSequence, RecordStep, SequenceStep
from graph.models import Sequence as SequenceRow
from graph.models.base import UTCDateTime
from graph.queries.activities import LATEST, PRIORITY_RANK, readable_activities
from graph.queries.keyset import SortKey
from graph.queries.records import records_by_id
from graph.rules import activity_states as states
from graph.rules import sequences as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode

Item = tuple[Activity, RecordStep | None, uuid.UUID | None]  # activity, its step, the step's sequence

_PRIORITY = case(PRIORITY_RANK, value=Activity.priority, else_=0)
_DUE = func.coalesce(Activity.due, literal(LATEST, UTCDateTime()), type_=UTCDateTime())
_MANUAL_LAST = case((RecordStep.id.is_(None), 1), else_=0)


@dataclass(frozen=True)
class WorkListFilter:
    """Every given condition holds. `owner_ids` None means any owner the viewer may read."""

    owner_ids: Sequence[uuid.UUID] | None = None
    kinds: Sequence[str] | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    record_types: Sequence[str] | None = None


def make_filter(scope: Scope, *, owner: str | None = None, kinds: Sequence[str] | None = None,
                due_after: datetime | None = None, due_before: datetime | None = None,
                record_types: Sequence[str] | None = None) -> WorkListFilter:
    """Yours by default (ME); MY_TEAMS adds your teams' items; ANY is everyone's you may read."""
    if due_after is not None and due_before is not None and due_before <= due_after:
        raise DomainError(ErrorCode.VALIDATION, "dueBefore must be after dueAfter", ("filter", "dueBefore"))
    owners = {"ME": [scope.user_id], "MY_TEAMS": [scope.user_id, *sorted(scope.team_ids)], "ANY": None}
    return WorkListFilter(owners[owner or "ME"], kinds, due_after, due_before, record_types)


def item_conditions(scope: Scope, run_states: Sequence[str] = (rules.ACTIVE,)) -> list[ColumnElement[bool]]:
    """What makes an activity a work-list item (the page's outer joins supply the step).
    A closed activity never is one, even if its step has not ended (R-WL-1)."""
    return [
        readable_activities(scope),
        Activity.regarding_id.is_not(None),
        or_(
            and_(RecordStep.state == rules.OPEN, RecordSequence.state.in_(list(run_states)),
                 Activity.state.in_(sorted(states.OPEN_STATES))),
            and_(RecordStep.id.is_(None), Activity.state.in_(sorted(rules.WORK_STATES)), Activity.due.is_not(None)),
        ),
    ]


def current_order() -> tuple[ColumnElement[Any], ...]:
    """R-WL-1/R-WL-2: a record's items, current first — the sequence's step, then manual
    activities by due, priority (high first), id. The work list and up next both pick
    their current item by this order, so they cannot disagree."""
    return (_MANUAL_LAST, _DUE, _PRIORITY.desc(), Activity.id)


def _conditions(scope: Scope, flt: WorkListFilter) -> list[ColumnElement[bool]]:
    found = item_conditions(scope)
    if flt.owner_ids is not None:
        found.append(Activity.owner_id.in_(list(flt.owner_ids)))
    if flt.kinds:
        found.append(Activity.type.in_(sorted({rules.ACTIVITY_TYPE[k] for k in flt.kinds})))
    # Half-open [dueAfter, dueBefore), as "my activities" does.
    if flt.due_after is not None:
        found.append(Activity.due >= flt.due_after)
    if flt.due_before is not None:
        found.append(Activity.due < flt.due_before)
    if flt.record_types:
        found.append(Activity.regarding_type.in_(list(flt.record_types)))
    return found


def _with_steps(query: Select[Any]) -> Select[Any]:
    return (query.outerjoin(RecordStep, RecordStep.activity_id == Activity.id)
            .outerjoin(RecordSequence, RecordSequence.id == RecordStep.record_sequence_id))


def work_list_query(scope: Scope, flt: WorkListFilter) -> tuple[Select[Any], list[SortKey]]:
    """Rows (activity, step, sequence id) of each record's current item (`current_order`),
    and the page's keyset ordering: due, priority (high first), id."""
    ranked = _with_steps(
        select(Activity.id.label("id"), _DUE.label("due_key"), _PRIORITY.label("rank"),
               func.row_number().over(partition_by=Activity.regarding_id,
                                      order_by=current_order()).label("rn"))
        .select_from(Activity)
    ).where(*_conditions(scope, flt)).subquery("ranked")
    query = _with_steps(
        select(Activity, RecordStep, RecordSequence.sequence_id).join(ranked, ranked.c.id == Activity.id)
    ).where(ranked.c.rn == 1)
    keys = [SortKey("DUE", ranked.c.due_key), SortKey("PRIORITY", ranked.c.rank, True), SortKey("ID", ranked.c.id)]
    return query, keys


def position(row: Activity) -> list[Any]:
    return [row.due or LATEST, PRIORITY_RANK.get(row.priority, 0), row.id]


@dataclass(frozen=True)
class Upcoming:
    position: int
    spec: rules.StepSpec
    expected_due: datetime
    owner_id: uuid.UUID


@dataclass
class UpNext:
    record_id: uuid.UUID
    run: RecordSequence | None = None
    current: Item | None = None
    upcoming: list[Upcoming] = field(default_factory=list)
    completed: list[Item] = field(default_factory=list)
    manual: list[Item] = field(default_factory=list)


async def up_next(session: AsyncSession, scope: Scope, record_id: uuid.UUID, now: datetime,
                  field_path: tuple[str, ...] = ("recordId",)) -> UpNext:
    """R-WL-2: the current item (picked by `current_order`, as the work list picks it; a
    paused sequence's step still shows here), the steps after it (owned by the record's
    owner: R-WL-4), the completed and skipped ones, and the record's open manual
    activities."""
    record = (await records_by_id(session, scope, [record_id])).get(record_id)
    if record is None:
        raise DomainError(ErrorCode.NOT_FOUND, "record not found", field_path)
    found = UpNext(record.id)
    found.run = await session.scalar(
        select(RecordSequence).where(RecordSequence.record_id == record.id)
        .order_by(RecordSequence.connected.is_(None), RecordSequence.connected_on.desc()).limit(1))
    current = (await session.execute(
        _with_steps(select(Activity, RecordStep, RecordSequence.sequence_id))
        .where(*item_conditions(scope, sorted(rules.CONNECTED_STATES)), Activity.regarding_id == record.id)
        .order_by(*current_order()).limit(1))).first()
    found.current = (current[0], current[1], current[2]) if current is not None else None
    manual_rows = await session.execute(
        _with_steps(select(Activity)).where(
            readable_activities(scope), Activity.regarding_id == record.id, RecordStep.id.is_(None),
            Activity.state.in_(sorted(rules.WORK_STATES)))
        .order_by(*current_order()))
    found.manual = [(a, None, None) for (a,) in manual_rows]
    if found.run is not None:
        run = found.run
        rows = await session.execute(
            select(Activity, RecordStep).join(RecordStep, RecordStep.activity_id == Activity.id)
            .where(RecordStep.record_sequence_id == run.id, readable_activities(scope))
            .order_by(RecordStep.position, RecordStep.started_on))
        current_due: datetime | None = None
        for activity, step in rows:
            if step.state == rules.OPEN:
                current_due = activity.due
            else:
                found.completed.append((activity, step, run.sequence_id))
        if run.connected is not None and run.current_position is not None:
            steps = list(await session.scalars(select(SequenceStep).where(
                SequenceStep.sequence_id == run.sequence_id).order_by(SequenceStep.position)))
            found.upcoming = [Upcoming(u.position, u.spec, u.due, record.owner_id)
                              for u in rules.upcoming([rules.spec_of(s) for s in steps], run.current_position,
                                                      current_due or now)]
    return found


async def sequences(session: AsyncSession, *, include_inactive: bool = False,
                    ids: Sequence[uuid.UUID] | None = None) -> list[SequenceRow]:
    """Sequence templates by name; anyone signed in may read them (they hold no customer data)."""
    query = select(SequenceRow).order_by(SequenceRow.name, SequenceRow.id)
    if ids is not None:
        query = query.where(SequenceRow.id.in_(list(ids)))
    elif not include_inactive:
        query = query.where(SequenceRow.state == "ACTIVE")
    return list(await session.scalars(query))


async def steps_of(session: AsyncSession, sequence_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[SequenceStep]]:
    found: dict[uuid.UUID, list[SequenceStep]] = {i: [] for i in sequence_ids}
    rows = await session.scalars(select(SequenceStep).where(SequenceStep.sequence_id.in_(list(sequence_ids)))
                                 .order_by(SequenceStep.sequence_id, SequenceStep.position))
    for step in rows:
        found[step.sequence_id].append(step)
    return found

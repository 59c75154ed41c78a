"""Changing activities (R-ACT-3, R-ACT-6, R-ACT-7): update, complete, cancel, reopen, assign.

Every change stamps modified by/on, bumps the version and re-syncs the timeline index, so
state and owner moves show in timeline rows and counts at once. The bulk operations do
every allowed id and say, per id, why the others were refused (R-ACT-6); only a problem
with the request as a whole (no ids, a bad note, an owner you may not assign to) fails
all of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import step_progress, timeline_index
from graph.commands.activities import regarding_type
from graph.commands.common import assignee
from graph.commands.stamps import check_version, stamp_change, stamp_new
from graph.models import Activity, Note, RecordStep
from graph.rules import activities as fields
from graph.rules import activity_states as states
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem, not_found

ID = ("input", "id")
UPDATABLE = frozenset({"subject", "description", "priority", "due", "scheduled_start", "scheduled_end",
                       "location", "online_meeting_url", "phone_number"})


def located(error: DomainError, field: Sequence[str]) -> DomainError:
    """The same problems, pointing at `field` where they named no input of their own."""
    return DomainError(problems=[p if p.field else Problem(p.code, p.message, tuple(field)) for p in error.problems])


async def activity_for(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, action: str,
                       field: Sequence[str] = ID) -> Activity:
    """The row locked for change, after checking the viewer may `action` it."""
    row = await session.get(Activity, activity_id, with_for_update=True)
    if row is None or row.deleted_on is not None:  # in the recycle bin: gone until restored
        raise not_found("activity", field)
    scope.require(action, "activity", row, "activity", field)
    return row


async def update_activity(
    session: AsyncSession, scope: Scope, activity_id: uuid.UUID, values: Mapping[str, Any], now: datetime,
    *, expected_version: int | None = None,
) -> Activity:
    """Only the fields given change; `regarding_id: None` makes the activity personal."""
    row = await activity_for(session, scope, activity_id, "write")
    check_version(row, expected_version)
    try:
        states.require_editable(row.state)
    except DomainError as error:
        raise located(error, ID) from None
    changes = {k: v for k, v in values.items() if k in UPDATABLE}
    cleaned = fields.check_fields(row.type, changes, creating=False)
    if row.type in fields.DUE_FROM_START and cleaned.get("due") is not None:
        raise DomainError(ErrorCode.VALIDATION, "an appointment is due when it starts: change scheduledStart",
                          ("input", "due"))
    times = {"scheduled_start": cleaned.get("scheduled_start", row.scheduled_start),
             "scheduled_end": cleaned.get("scheduled_end", row.scheduled_end)}
    problems = fields.time_problems(row.type, times) if times.keys() & cleaned.keys() else []
    if problems:
        raise DomainError(problems=problems)
    if "regarding_id" in values:
        row.regarding_type = await regarding_type(session, scope, values["regarding_id"])
        row.regarding_id = values["regarding_id"]
    for key, value in cleaned.items():
        setattr(row, key, value if key != "priority" else value or "NORMAL")
    if row.type in fields.DUE_FROM_START:
        row.due = fields.effective_due(row.type, row.due, row.scheduled_start)
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    await timeline_index.sync(session, [row.id], now, scope.user_id)
    return row


async def reopen_activity(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, now: datetime,
                          *, expected_version: int | None = None) -> Activity:
    """Closed → the type's open state (a sent or received email stays as it is). The
    activity of a sequence step that has ended stays closed: its sequence has moved on, and
    an open activity under an ended step would make the item and its activity disagree."""
    row = await activity_for(session, scope, activity_id, "write")
    check_version(row, expected_version)
    try:
        reopened = states.reopening(row.type, row.state)
    except DomainError as error:
        raise located(error, ID) from None
    ended = await session.scalar(select(RecordStep.state).where(RecordStep.activity_id == row.id))
    if ended is not None:
        raise DomainError(ErrorCode.INVALID_STATE,
                          f"this activity was a sequence step, now {ended.lower()}, and the sequence has moved on; "
                          "create a new activity instead", ID)
    _move(row, reopened)
    row.actual_end = None
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    await timeline_index.sync(session, [row.id], now, scope.user_id)
    return row


def _move(row: Activity, state: str) -> None:
    row.state = state
    row.status_reason = states.status_reason(row.type, state, row.direction)


@dataclass
class Outcome:
    """One id of a bulk call: the activity as it now is (when readable) and why not, if not."""

    activity_id: uuid.UUID
    row: Activity | None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class NoteText:
    title: str | None
    text: str | None


Change = Callable[[Activity], bool]


async def _bulk(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], action: str, change: Change,
                now: datetime) -> tuple[list[Outcome], list[Activity]]:
    """Check and change each row; `change` raises DomainError to refuse one, returns False for a no-op."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return [], []
    fields.check_bulk_size(len(unique))
    rows = {a.id: a for a in await session.scalars(
        select(Activity).where(Activity.id.in_(unique)).with_for_update()
    )}
    outcomes: list[Outcome] = []
    changed: list[Activity] = []
    for i, activity_id in enumerate(unique):
        path = ("input", "ids", str(i))
        row = rows.get(activity_id)
        readable = row is not None and row.deleted_on is None and scope.can("read", "activity", row)
        try:
            if row is None or not readable:
                raise not_found("activity")
            scope.require(action, "activity", row, "activity")
            if change(row):
                stamp_change(row, scope.user_id, now, None)
                changed.append(row)
        except DomainError as error:
            first = error.problems[0]
            outcomes.append(Outcome(activity_id, row if readable else None, Problem(first.code, first.message, path)))
            continue
        outcomes.append(Outcome(activity_id, row))
    return outcomes, changed


async def complete_activities(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], now: datetime,
                              *, note: NoteText | None = None) -> list[Outcome]:
    """R-ACT-6: mark each allowed one complete, with an optional note on each. A sequence
    step's activity moves its sequence on, as completing or canceling it anywhere does
    (`step_progress`)."""
    return await _close(session, scope, ids, now, states.completion, note)


async def cancel_activities(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], now: datetime,
                            *, note: NoteText | None = None) -> list[Outcome]:
    return await _close(session, scope, ids, now, states.cancellation, note)


async def _close(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], now: datetime,
                 transition: Callable[[str, str], str], note: NoteText | None) -> list[Outcome]:
    if note is not None:
        note = NoteText(*fields.check_note(note.title, note.text))
        if not scope.can_own("create", "note", scope.user_id, scope.business_unit_id):
            raise DomainError(ErrorCode.FORBIDDEN, "you may not add notes", ("input", "note"))

    def close(row: Activity) -> bool:
        new_state = transition(row.type, row.state)
        if note is not None and not scope.can("append_to", "activity", row):
            raise DomainError(ErrorCode.FORBIDDEN, "you may not add a note to this activity")
        _move(row, new_state)
        row.actual_end = row.actual_end or now
        return True

    outcomes, changed = await _bulk(session, scope, ids, "write", close, now)
    note_ids = [_add_note(session, scope, row, note, now) for row in changed] if note is not None else []
    await _sync(session, [*(r.id for r in changed), *note_ids], now, scope.user_id)
    await step_progress.follow_closed(session, scope, [r.id for r in changed], now)
    return outcomes


def _add_note(session: AsyncSession, scope: Scope, activity: Activity, note: NoteText, now: datetime) -> uuid.UUID:
    """R-NOTE-1: a note on the activity, owned by its writer; counted on the activity."""
    row = Note(id=uuid.uuid4(), title=note.title, text=note.text, activity_id=activity.id, record_id=None,
               owner_id=scope.user_id, owning_business_unit_id=scope.business_unit_id, attachment_count=0)
    stamp_new(row, scope.user_id, now)
    session.add(row)
    activity.note_count = (activity.note_count or 0) + 1
    return row.id


async def assign_activities(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID], owner_id: uuid.UUID,
                            now: datetime) -> list[Outcome]:
    """R-ACT-7: give each to a user or team. Needs `assign` on the activity; the new owner may
    be any active user or team (the same rule as `changeOwner`). Closed activities can be assigned too: ownership is not
    content (Dynamics 365 reassigns closed activities the same way)."""
    owner = await assignee(session, owner_id)

    def assign(row: Activity) -> bool:
        if row.owner_id == owner.id:
            return False
        row.owner_id = owner.id
        row.owning_business_unit_id = owner.business_unit_id
        return True

    outcomes, changed = await _bulk(session, scope, ids, "assign", assign, now)
    await _sync(session, [r.id for r in changed], now, scope.user_id)
    return outcomes


async def _sync(session: AsyncSession, entry_ids: list[uuid.UUID], now: datetime, actor_id: uuid.UUID) -> None:
    if entry_ids:
        await session.flush()
        await timeline_index.sync(session, entry_ids, now, actor_id)

"""Step actions on a work-list item (R-WL-3): complete, skip, snooze, assign.

A work-list item is an open activity regarding a record: a sequence step's (it has a
`RecordStep`) or a manual one (it has none). Items are named by their activity's id. The
activity changes go through the activity commands (permissions, states, notes, timeline);
this module adds what a step means: the step's own state, the next step, and the
`WorkListChanged` events. Reaching the customer from an item is in `reach.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import activity_changes as changes
from graph.commands import notes as note_commands
from graph.commands import sequences, step_progress, timeline_index
from graph.commands.stamps import stamp_change
from graph.models import Activity, Record, RecordSequence, RecordStep
from graph.rules import activity_states as states
from graph.rules import sequences as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode

ID = ("input", "id")


@dataclass
class Item:
    activity: Activity
    step: RecordStep | None
    run: RecordSequence | None
    record: Record | None

    @property
    def manual(self) -> bool:
        return self.step is None

    @property
    def record_id(self) -> uuid.UUID | None:
        return self.activity.regarding_id


@dataclass
class StepOutcome:
    """The item acted on, as it now is, and the step that became current (if one did)."""

    item: Item
    next_step: RecordStep | None = None


async def item_for(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, action: str) -> Item:
    """The item, locked, after checking the viewer may `action` its activity."""
    activity = await changes.activity_for(session, scope, activity_id, action, ID)
    step = await session.scalar(select(RecordStep).where(RecordStep.activity_id == activity.id).with_for_update())
    run = await session.get(RecordSequence, step.record_sequence_id, with_for_update=True) if step else None
    record = await session.get(Record, activity.regarding_id) if activity.regarding_id else None
    return Item(activity, step, run, record)


def require_current(item: Item) -> None:
    """A step action needs the current step of a running (not paused) sequence."""
    if item.step is None or item.run is None:
        return
    if item.step.state != rules.OPEN:
        raise DomainError(ErrorCode.INVALID_STATE, f"this step is already {item.step.state.lower()}", ID)
    if item.run.state != rules.ACTIVE:
        raise DomainError(ErrorCode.INVALID_STATE,
                          f"the sequence is {item.run.state.lower()}: resume it before acting on its steps", ID)


Bulk = Callable[..., Awaitable[list[changes.Outcome]]]


async def _one(session: AsyncSession, scope: Scope, command: Bulk, activity_id: uuid.UUID, now: datetime,
               **kw: Any) -> None:
    """Run a bulk activity command on one id; its refusal becomes this request's error."""
    outcome, = await command(session, scope, [activity_id], now, **kw)
    if outcome.problem is not None:
        raise DomainError(outcome.problem.code, outcome.problem.message, ID)


async def _next_of(session: AsyncSession, item: Item) -> RecordStep | None:
    """The step that is current now that the item's step has ended (None: the sequence ended)."""
    if item.run is None or item.run.connected is None:
        return None
    return await sequences.current_step(session, item.run)


async def complete_step(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, now: datetime,
                        note: changes.NoteText | None = None) -> StepOutcome:
    """R-WL-3: complete (with an optional note); the next step becomes current (the rule in
    `step_progress`, which completing the activity anywhere else follows too)."""
    item = await item_for(session, scope, activity_id, "write")
    require_current(item)
    if item.manual or states.is_open(item.activity.state):
        await _one(session, scope, changes.complete_activities, item.activity.id, now, note=note)
    else:  # closed before the rule existed: the note still goes on it and the step ends now
        if note is not None:
            await note_commands.add_note(session, scope, {"title": note.title, "text": note.text}, now,
                                         activity_id=item.activity.id)
        assert item.step is not None
        await step_progress.end_step(session, scope, item.step, rules.DONE, now)
    if item.manual:
        await sequences.notify(session, [item.activity.owner_id], item.record_id, "COMPLETED", scope.user_id, now)
        return StepOutcome(item)
    return StepOutcome(item, await _next_of(session, item))


async def skip_step(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, now: datetime) -> StepOutcome:
    """R-WL-3: the next step takes this one's place and this one joins the completed list
    as SKIPPED (its activity CANCELED); a manual activity outside a sequence is CANCELED."""
    item = await item_for(session, scope, activity_id, "write")
    require_current(item)
    if item.manual or states.is_open(item.activity.state):
        await _one(session, scope, changes.cancel_activities, item.activity.id, now)
    else:
        assert item.step is not None
        await step_progress.end_step(session, scope, item.step, rules.skipped_state(True), now)
    if item.manual:
        await sequences.notify(session, [item.activity.owner_id], item.record_id, rules.skipped_state(False),
                               scope.user_id, now)
        return StepOutcome(item)
    return StepOutcome(item, await _next_of(session, item))


async def snooze_step(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, until: datetime | None,
                      now: datetime) -> StepOutcome:
    """R-WL-3: the step is due later (a meeting moves, keeping its length). A manual activity
    outside a sequence cannot be snoozed (NOT_SUPPORTED)."""
    item = await item_for(session, scope, activity_id, "write")
    when = rules.check_snooze(until, now, manual=item.manual)
    require_current(item)
    activity = item.activity
    if activity.type in ("APPOINTMENT",) and activity.scheduled_start is not None:
        length = (activity.scheduled_end or activity.scheduled_start) - activity.scheduled_start
        values: dict[str, Any] = {"scheduled_start": when, "scheduled_end": when + length}
    else:
        values = {"due": when}
    try:
        await changes.update_activity(session, scope, activity.id, values, now)
    except DomainError as error:
        raise changes.located(error, ID) from None
    assert item.step is not None
    item.step.snooze_count += 1
    await session.flush()
    await sequences.notify(session, [activity.owner_id], item.record_id, "SNOOZED", scope.user_id, now)
    return StepOutcome(item)


async def assign_step(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, owner_id: uuid.UUID,
                      now: datetime) -> StepOutcome:
    """R-WL-3: give the item to a user or a team (the rules of R-ACT-7)."""
    item = await item_for(session, scope, activity_id, "assign")
    require_current(item)
    previous = item.activity.owner_id
    outcome, = await changes.assign_activities(session, scope, [item.activity.id], owner_id, now)
    if outcome.problem is not None:
        raise DomainError(outcome.problem.code, outcome.problem.message, ID)
    await sequences.notify(session, [previous, item.activity.owner_id], item.record_id, "ASSIGNED",
                           scope.user_id, now)
    return StepOutcome(item)


async def cancel_for_system(session: AsyncSession, activity_id: uuid.UUID, now: datetime,
                            actor_id: uuid.UUID) -> None:
    """Cancel a step's activity because its sequence ended (no permission of the actor on
    the activity needed: disconnecting needed write on the record)."""
    activity = await session.get(Activity, activity_id, with_for_update=True)
    if activity is None or not states.is_open(activity.state):
        return
    activity.state = "CANCELED"
    activity.status_reason = states.status_reason(activity.type, "CANCELED", activity.direction)
    activity.actual_end = now
    stamp_change(activity, actor_id, now, None)
    await session.flush()
    await timeline_index.sync(session, [activity.id], now, actor_id)

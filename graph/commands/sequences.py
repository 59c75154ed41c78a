"""Sequences (R-SEQ-1): define, connect to a record, pause, resume, disconnect; and how a
record moves from one step to the next (R-WL-3) or changes owner (R-WL-4).

Each step reached gets an activity regarding the record, owned by the record's owner at
that moment (R-WL-4: so after an owner change the current step stays where it is and the
next one goes to the new owner, with nothing to rewrite). Activities made for steps are
the system's doing, not the actor's: they skip the "may you create for this owner" check,
as the record's owner is who the sequence works for. Every change to someone's work list
appends a `WorkListChanged` event for them (teams: for each member).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.activities import Draft, insert_activity
from graph.commands.common import record_for, require_active
from graph.commands.outbox import publish
from graph.events import WorkListChanged
from graph.models import Activity, Principal, Record, RecordSequence, RecordStep, SequenceStep, TeamMember
from graph.models import Sequence as SequenceRow
from graph.queries.metadata import type_label
from graph.rules import activities as fields
from graph.rules import sequences as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found

RECORD_ID = ("input", "recordId")


async def notify(session: AsyncSession, principal_ids: Iterable[uuid.UUID | None], record_id: uuid.UUID | None,
                 change: str, actor_id: uuid.UUID | None, now: datetime) -> None:
    """One `WorkListChanged` for the users whose work list changed; a team means its members."""
    ids = {p for p in principal_ids if p is not None}
    if not ids:
        return
    teams = set(await session.scalars(select(Principal.id).where(Principal.id.in_(ids), Principal.kind == "team")))
    members = set(await session.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(teams)))) \
        if teams else set()
    users = tuple(sorted((ids - teams) | members))
    if users:
        await publish(session, [WorkListChanged(users, record_id, change)], actor_id, now)


async def template(session: AsyncSession, sequence_id: uuid.UUID) -> list[SequenceStep]:
    return list(await session.scalars(
        select(SequenceStep).where(SequenceStep.sequence_id == sequence_id).order_by(SequenceStep.position)))


async def create_sequence(session: AsyncSession, scope: Scope, name: str, description: str | None,
                          steps: Sequence[rules.StepSpec], now: datetime) -> SequenceRow:
    """R-SEQ-1: managers only; every problem with the steps at once; names are unique."""
    if not rules.may_define_sequences(scope.role_names):
        raise DomainError(ErrorCode.FORBIDDEN, "only sales managers and administrators define sequences")
    cleaned_name = rules.check_name(name)
    cleaned = rules.check_steps(steps)
    if await session.scalar(select(SequenceRow.id).where(SequenceRow.name == cleaned_name)):
        raise DomainError(ErrorCode.DUPLICATE, f"a sequence named '{cleaned_name}' exists already", ("input", "name"))
    row = SequenceRow(name=cleaned_name, description=(description or "").strip() or None, state="ACTIVE",
                      activity_step_count=sum(1 for s in cleaned if not s.is_wait), created_on=now,
                      created_by_id=scope.user_id, modified_on=now, modified_by_id=scope.user_id, version=1)
    session.add(row)
    await session.flush()
    session.add_all(
        SequenceStep(sequence_id=row.id, position=i, kind=s.kind, subject=s.subject, instructions=s.instructions,
                     priority=s.priority,
                     wait_minutes=int(s.wait.total_seconds() // 60) if s.wait is not None else None)
        for i, s in enumerate(cleaned, start=1)
    )
    await session.flush()
    return row


async def connected_run(session: AsyncSession, record_id: uuid.UUID) -> RecordSequence | None:
    return await session.scalar(select(RecordSequence).where(
        RecordSequence.record_id == record_id, RecordSequence.connected == 1).with_for_update())


async def current_step(session: AsyncSession, run: RecordSequence) -> RecordStep | None:
    return await session.scalar(select(RecordStep).where(
        RecordStep.record_sequence_id == run.id, RecordStep.state == rules.OPEN).with_for_update())


async def connect_sequence(session: AsyncSession, scope: Scope, sequence_id: uuid.UUID, record_id: uuid.UUID,
                           now: datetime) -> tuple[RecordSequence, RecordStep | None]:
    """R-SEQ-1: one connected sequence per record; the first step's activity is made now."""
    record = await record_for(session, scope, Record, record_id, "write", RECORD_ID)
    rules.require_connectable(record.type)
    await require_active(session, record, RECORD_ID)
    sequence = await session.get(SequenceRow, sequence_id)
    if sequence is None:
        raise not_found("sequence", ("input", "sequenceId"))
    if sequence.state != "ACTIVE":
        raise DomainError(ErrorCode.INVALID_STATE, f"sequence '{sequence.name}' is retired", ("input", "sequenceId"))
    existing = await connected_run(session, record.id)
    if existing is not None:
        other = await session.get(SequenceRow, existing.sequence_id)
        raise DomainError(ErrorCode.CONFLICT,
                          f"{await type_label(session, record.type)} '{record.name}' already has sequence "
                          f"'{other.name if other else '?'}' connected; disconnect it first", RECORD_ID)
    run = RecordSequence(record_id=record.id, sequence_id=sequence.id, state=rules.ACTIVE, connected=1,
                         current_position=0, connected_on=now, connected_by_id=scope.user_id, version=1)
    session.add(run)
    await session.flush()
    step = await advance(session, scope, run, record, 0, now, now)
    return run, step


async def advance(session: AsyncSession, scope: Scope, run: RecordSequence, record: Record,
                  after_position: int, since: datetime, now: datetime) -> RecordStep | None:
    """Start the activity step after `after_position`, due after the waits in between; or end
    the run when none is left (COMPLETED) or the record was closed (DISCONNECTED)."""
    if not record.is_active:
        _end(run, rules.DISCONNECTED, now)
        return None
    steps = await template(session, run.sequence_id)
    found = rules.next_step([rules.spec_of(s) for s in steps], after_position, since)
    if found is None:
        _end(run, rules.COMPLETED, now)
        return None
    return await start_step(session, scope, run, record, steps[found.position - 1], found.due, now)


def _end(run: RecordSequence, state: str, now: datetime) -> None:
    run.state = state
    run.connected = None
    run.current_position = None
    run.ended_on = now
    run.version += 1


async def start_step(session: AsyncSession, scope: Scope, run: RecordSequence, record: Record,
                     step: SequenceStep, due: datetime, now: datetime) -> RecordStep:
    """The step's activity (a meeting books MEETING_LENGTH from its due), owned by the record's owner."""
    owner = await session.get(Principal, record.owner_id)
    assert owner is not None
    activity_type = rules.ACTIVITY_TYPE[step.kind]
    values: dict[str, object] = {"subject": step.subject, "description": step.instructions,
                                 "priority": step.priority}
    if activity_type in fields.DUE_FROM_START:
        values.update(scheduled_start=due, scheduled_end=due + rules.MEETING_LENGTH)
    else:
        values["due"] = due
    if activity_type in ("PHONE_CALL", "TEXT_MESSAGE"):
        values["direction"] = "OUTGOING"
    cleaned = fields.check_fields(activity_type, values, creating=True)
    activity = await insert_activity(session, scope, Draft(activity_type, cleaned, owner, record.id, record.type,
                                                           [], {}), now)
    row = RecordStep(record_sequence_id=run.id, sequence_step_id=step.id, record_id=record.id,
                     position=step.position, kind=step.kind, state=rules.OPEN, activity_id=activity.id,
                     snooze_count=0, started_on=now)
    session.add(row)
    run.current_position = step.position
    run.version += 1
    await session.flush()
    await notify(session, [owner.id], record.id, "NEW_STEP", scope.user_id, now)
    return row


async def _run_of(session: AsyncSession, scope: Scope, record_id: uuid.UUID) -> tuple[Record, RecordSequence]:
    record = await record_for(session, scope, Record, record_id, "write", RECORD_ID)
    run = await connected_run(session, record.id)
    if run is None:
        raise DomainError(ErrorCode.INVALID_STATE, f"'{record.name}' has no sequence connected", RECORD_ID)
    return record, run


async def _step_owner(session: AsyncSession, run: RecordSequence) -> tuple[RecordStep | None, uuid.UUID | None]:
    step = await current_step(session, run)
    if step is None:
        return None, None
    return step, await session.scalar(select(Activity.owner_id).where(Activity.id == step.activity_id))


async def set_paused(session: AsyncSession, scope: Scope, record_id: uuid.UUID, paused: bool,
                     now: datetime) -> RecordSequence:
    """Pause (the current step leaves the work list) or resume (it comes back)."""
    record, run = await _run_of(session, scope, record_id)
    if paused:
        rules.require_run_state(run.state, {rules.ACTIVE}, "paused")
        run.state, run.paused_on = rules.PAUSED, now
    else:
        rules.require_run_state(run.state, {rules.PAUSED}, "resumed")
        run.state, run.paused_on = rules.ACTIVE, None
    run.version += 1
    await session.flush()
    _, owner_id = await _step_owner(session, run)
    await notify(session, [owner_id], record.id, "PAUSED" if paused else "RESUMED", scope.user_id, now)
    return run


async def disconnect(session: AsyncSession, scope: Scope, record_id: uuid.UUID, now: datetime) -> RecordSequence:
    """End the run; its current step is CANCELED, and so is the step's activity if still open."""
    from graph.commands.steps import cancel_for_system

    record, run = await _run_of(session, scope, record_id)
    step, owner_id = await _step_owner(session, run)
    if step is not None:
        step.state, step.ended_on, step.ended_by_id = rules.CANCELED, now, scope.user_id
        await cancel_for_system(session, step.activity_id, now, scope.user_id)
    _end(run, rules.DISCONNECTED, now)
    await session.flush()
    await notify(session, [owner_id], record.id, "DISCONNECTED", scope.user_id, now)
    return run


async def on_owner_change(session: AsyncSession, record: Record, old_owner_id: uuid.UUID, now: datetime,
                          actor_id: uuid.UUID) -> None:
    """R-WL-4: the current step stays with whoever has it; steps made from now on take the
    record's new owner (`start_step`). Both owners' work lists are told."""
    if old_owner_id == record.owner_id:
        return
    run = await connected_run(session, record.id)
    if run is None:
        return
    _, step_owner = await _step_owner(session, run)
    kept = rules.owner_after_owner_change(True, step_owner, record.owner_id)
    await notify(session, [old_owner_id, record.owner_id, kept], record.id, "OWNER_CHANGED", actor_id, now)

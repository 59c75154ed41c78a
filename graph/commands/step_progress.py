"""The one rule that moves a sequence on (R-WL-3): a step ends when its activity closes.

However the current step's activity is closed — `completeStep`/`skipStep`, the bulk
`completeActivities`/`cancelActivities`, `emailFromStep`/`textFromStep`, or the scheduler
recording a scheduled email as SENT (or giving up on it) — the commands that close
activities call `follow_closed`, so the step becomes COMPLETED (activity completed, sent
or received) or SKIPPED (activity canceled) and the next step starts, due its wait after
now. Keeping the rule here, rather than in each mutation, is what stops a sequence from
stalling on a path someone forgot. A tracked reply is a new activity, not the step's, so
it moves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import sequences
from graph.models import Activity, Record, RecordSequence, RecordStep
from graph.rules import sequences as rules
from graph.rules.access import Scope

Started = dict[uuid.UUID, RecordStep | None]


async def follow_closed(session: AsyncSession, scope: Scope, activity_ids: Sequence[uuid.UUID],
                        now: datetime) -> Started:
    """End every current step whose activity among `activity_ids` is now closed, and start
    the step after each. Returns, per ended step's activity id, the step that became
    current (None when the sequence ended)."""
    if not activity_ids:
        return {}
    rows = (await session.execute(
        select(RecordStep, Activity.state).join(Activity, Activity.id == RecordStep.activity_id)
        .where(RecordStep.activity_id.in_(list(dict.fromkeys(activity_ids))), RecordStep.state == rules.OPEN)
        .with_for_update(of=RecordStep))).all()
    started: Started = {}
    for step, activity_state in rows:
        ended = rules.step_state_after(activity_state)
        if ended is not None:
            started[step.activity_id] = await end_step(session, scope, step, ended, now)
    return started


async def end_step(session: AsyncSession, scope: Scope, step: RecordStep, state: str,
                   now: datetime) -> RecordStep | None:
    """The step leaves the current slot (COMPLETED or SKIPPED) and, while its sequence is
    connected, the next one starts, due after its wait counted from now."""
    step.state, step.ended_on, step.ended_by_id = state, now, scope.user_id
    await session.flush()
    owner_id = await session.scalar(select(Activity.owner_id).where(Activity.id == step.activity_id))
    await sequences.notify(session, [owner_id], step.record_id, state, scope.user_id, now)
    run = await session.get(RecordSequence, step.record_sequence_id, with_for_update=True)
    record = await session.get(Record, step.record_id)
    if run is None or run.connected is None or record is None:
        return None
    return await sequences.advance(session, scope, run, record, step.position, now, now)

"""Root fields for the work list (R-WL-1), up next (R-WL-2) and sequences (R-SEQ-1), and the
sequence mutations: create, connect, pause, resume, disconnect.

A work-list page costs a fixed number of statements: the page (one windowed query), its
count when asked, and one batch per kind of related row selected (records, principals,
sequences).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import sequences as commands
from graph.models import utcnow
from graph.queries import work_list as queries
from graph.queries.paging import count, fetch_page
from graph.rules import sequences as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from resolvers.activity_pages import prefetch_activity_related
from resolvers.context import Info
from resolvers.ids import decode_id
from resolvers.mutation_runner import run_mutation
from resolvers.nodes import register_node_type
from resolvers.pagination import encode_cursor, page_request
from resolvers.selection import node_selection, sub_selection
from schema.inputs import work_list as inputs
from schema.payloads import work_list as payloads
from schema.types.activities import Priority
from schema.types.connection import Connection, Edge, PageInfo
from schema.types.work_list import (
    Sequence,
    SequenceRunState,
    StepKind,
    UpcomingStep,
    UpNext,
    WorkItem,
    WorkListEntry,
    sequence_node,
    work_item,
)

RECORD_TYPES = {"Account", "Contact", "Lead", "Opportunity", "Case"}
SEQUENCE_RECORD_TYPES = {"Lead", "Opportunity"}
MAX_WAIT_PART = 10_000_000  # keeps timedelta() and the database's integer far from overflowing


def item_of(row: queries.Item | None) -> WorkItem | None:
    return work_item(*row) if row is not None else None


def up_next_node(data: queries.UpNext) -> UpNext:
    run = data.run
    return UpNext(
        record_id=data.record_id, sequence_id=run.sequence_id if run else None,
        sequence_state=SequenceRunState(run.state) if run else None,
        current=item_of(data.current),
        upcoming=[UpcomingStep(position=u.position, kind=StepKind(u.spec.kind), subject=u.spec.subject,
                               instructions=u.spec.instructions, priority=Priority(u.spec.priority),
                               wait_minutes=int(u.spec.wait.total_seconds() // 60) if u.spec.wait else None,
                               expected_due=u.expected_due, owner_id=None if u.spec.is_wait else u.owner_id)
                  for u in data.upcoming],
        completed=[work_item(*row) for row in data.completed],
        manual=[work_item(*row) for row in data.manual],
    )


async def up_next_in(session: AsyncSession, scope: Scope, record_id: uuid.UUID | None, now: datetime) -> UpNext | None:
    """The record's up next as this transaction sees it (for mutation payloads)."""
    if record_id is None:
        return None
    return up_next_node(await queries.up_next(session, scope, record_id, now))


def _filter(info: Info, f: inputs.WorkListFilter | None) -> queries.WorkListFilter:
    f = f or inputs.WorkListFilter()
    kinds = [k.value for k in f.kinds] if f.kinds else None
    if kinds and rules.WAIT in kinds:
        raise DomainError(ErrorCode.VALIDATION, "a wait is never a work-list item", ("filter", "kinds"))
    return queries.make_filter(
        info.context.scope, owner=f.owner.value if f.owner else None, kinds=kinds,
        due_after=f.due_after, due_before=f.due_before,
        record_types=[t.value for t in f.record_types] if f.record_types else None,
    )


async def _prefetch(info: Info, rows: list[Any], selected: dict[str, Any]) -> None:
    current = sub_selection(selected, "current")
    loaders = info.context.loaders
    waits = []
    if "record" in selected or "record" in current:
        waits.append(loaders.record_by_id.load_many(list({a.regarding_id for a, _, _ in rows})))
    if "owner" in current:
        waits.append(loaders.principal_by_id.load_many(list({a.owner_id for a, _, _ in rows})))
    if "sequence" in current:
        ids = list({s for _, _, s in rows if s is not None})
        if ids:
            waits.append(loaders.sequence_by_id.load_many(ids))
    if "activity" in current:
        waits.append(prefetch_activity_related(info, [a for a, _, _ in rows], sub_selection(current, "activity")))
    if waits:
        await asyncio.gather(*waits)


async def work_list(info: Info, filter: inputs.WorkListFilter | None = None, first: int | None = None,
                    after: str | None = None) -> Connection[WorkListEntry]:
    """R-WL-1: your records with an open step or an open activity due, each with its current
    item, soonest due first, then highest priority."""
    scope = info.context.scope
    query, keys = queries.work_list_query(scope, _filter(info, filter))
    request = page_request(keys, first, after, None, None)
    db = info.context.db
    async with db.read() as session:
        page = await fetch_page(session, query, keys, request, scalars=False)
    rows = [tuple(r) for r in page.rows]
    await _prefetch(info, rows, node_selection(info))
    edges = [Edge(cursor=encode_cursor(keys, queries.position(r[0])), node=WorkListEntry(current=work_item(*r)))
             for r in rows]

    async def total() -> int:
        async with db.read() as session:
            return await count(session, query)

    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, has_previous_page=page.has_previous,
                           start_cursor=edges[0].cursor if edges else None,
                           end_cursor=edges[-1].cursor if edges else None),
        counter=total,
    )


async def up_next(info: Info, record_id: strawberry.ID) -> UpNext:
    """R-WL-2: a missing or unreadable record is a NOT_FOUND error."""
    scope = info.context.scope
    raw = decode_id(record_id, RECORD_TYPES, ["recordId"])
    async with info.context.db.read() as session:
        return up_next_node(await queries.up_next(session, scope, raw, utcnow()))


async def sequences(info: Info, include_inactive: bool = False) -> list[Sequence]:
    """Every sequence by name (retired ones with `includeInactive`)."""
    info.context.scope  # noqa: B018 - authenticated first
    async with info.context.db.read() as session:
        rows = await queries.sequences(session, include_inactive=include_inactive)
        steps = await queries.steps_of(session, [r.id for r in rows])
    return [sequence_node(r, steps[r.id]) for r in rows]


def _wait(step: inputs.SequenceStepInput, path: tuple[str, ...]) -> timedelta | None:
    parts = (step.wait_days, step.wait_hours, step.wait_minutes)
    if any(p < 0 or p > MAX_WAIT_PART for p in parts):
        raise DomainError(ErrorCode.VALIDATION, "a wait's days, hours and minutes are zero or more", (*path, "wait"))
    if not any(parts):
        return None
    return timedelta(days=step.wait_days, hours=step.wait_hours, minutes=step.wait_minutes)


async def create_sequence(info: Info, input: inputs.CreateSequenceInput) -> payloads.SequencePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        specs = [rules.StepSpec(s.kind.value, s.subject, s.instructions, s.priority.value,
                                _wait(s, ("input", "steps", str(i))))
                 for i, s in enumerate(input.steps)]
        row = await commands.create_sequence(session, scope, input.name, input.description, specs, now)
        steps = await queries.steps_of(session, [row.id])
        return {"sequence": sequence_node(row, steps[row.id])}
    return await run_mutation(info, payloads.SequencePayload, work)


async def connect_sequence(info: Info, input: inputs.ConnectSequenceInput) -> payloads.SequenceRunPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        sequence_id = decode_id(input.sequence_id, {"Sequence"}, ("input", "sequenceId"))
        record_id = decode_id(input.record_id, SEQUENCE_RECORD_TYPES, ("input", "recordId"))
        await commands.connect_sequence(session, scope, sequence_id, record_id, now)
        return {"up_next": await up_next_in(session, scope, record_id, now)}
    return await run_mutation(info, payloads.SequenceRunPayload, work)


async def _run_change(info: Info, record_global_id: str, action: str) -> payloads.SequenceRunPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_id(record_global_id, SEQUENCE_RECORD_TYPES, ("input", "recordId"))
        if action == "disconnect":
            await commands.disconnect(session, scope, record_id, now)
        else:
            await commands.set_paused(session, scope, record_id, action == "pause", now)
        return {"up_next": await up_next_in(session, scope, record_id, now)}
    return await run_mutation(info, payloads.SequenceRunPayload, work)


async def pause_sequence(info: Info, input: inputs.PauseSequenceInput) -> payloads.SequenceRunPayload:
    return await _run_change(info, input.record_id, "pause")


async def resume_sequence(info: Info, input: inputs.ResumeSequenceInput) -> payloads.SequenceRunPayload:
    return await _run_change(info, input.record_id, "resume")


async def disconnect_sequence(info: Info, input: inputs.DisconnectSequenceInput) -> payloads.SequenceRunPayload:
    return await _run_change(info, input.record_id, "disconnect")


async def _sequence_node(info: Info, raw_id: Any) -> Any:
    return await info.context.loaders.sequence_by_id.load(raw_id)


register_node_type("Sequence", _sequence_node)

"""`timeline(recordId, filter, rollup, first, after, last, before)` (R-TL-1..3, DESIGN §2).

The page statement and, when asked for, the counts statement run side by side in their
own sessions; then everything the selected nested fields need (owners, creators,
regarding records, party objects) is loaded in one batch per kind, so the whole request
costs the same few statements for 10 entries or 500.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from graph.queries import timeline as queries
from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import text_problem
from resolvers.context import Info
from resolvers.filters import where_predicate
from resolvers.ids import decode_id, decode_ids
from resolvers.pagination import encode_cursor, page_request
from resolvers.selection import field_selection, node_selection, sub_selection
from schema.inputs.filters import TimelineWhere
from schema.inputs.timeline import TimelineFilter
from schema.types.activities import ActivityState
from schema.types.connection import PageInfo
from schema.types.timeline import (
    RollupType,
    StateCount,
    TimelineConnection,
    TimelineCounts,
    TimelineEdge,
    TimelineEntryType,
    TimelineRelation,
    TypeCount,
    entry_node,
)

RECORD_TYPE_NAMES = {"Account", "Contact", "Lead", "Opportunity", "Case"}
PRINCIPAL_FIELDS = {"owner": "owner_id", "createdBy": "created_by_id", "modifiedBy": "modified_by_id"}
PRINCIPAL_PARTY_TYPES = frozenset({"USER", "TEAM"})
MAX_TEXT = 200


def _filter(given: TimelineFilter | None) -> queries.TimelineFilter:
    if given is None:
        return queries.TimelineFilter()
    problems: list[Problem] = []
    for name, value in (("since", given.since), ("until", given.until)):
        if value is not None and value.tzinfo is None:
            problems.append(Problem(ErrorCode.VALIDATION, f"'{name}' needs a time zone offset", ("filter", name)))
    text = (given.text or "").strip() or None
    if text is not None and len(text) > MAX_TEXT:
        problems.append(Problem(ErrorCode.VALIDATION, f"text is longer than {MAX_TEXT} characters", ("filter", "text")))
    elif text is not None and (why := text_problem(text)) is not None:
        problems.append(Problem(ErrorCode.VALIDATION, f"text {why}", ("filter", "text")))
    if problems:
        raise DomainError(problems=problems)
    return queries.TimelineFilter(
        types=frozenset(t.value for t in given.types or ()),
        states=frozenset(s.value for s in given.states or ()),
        owner_ids=frozenset(decode_ids(given.owner_ids, {"User", "Team"}, ("filter", "ownerIds")))
        if given.owner_ids else frozenset(),
        since=given.since, until=given.until, text=text,
    )


def _counts_object(counts: queries.TimelineCounts) -> TimelineCounts:
    return TimelineCounts(
        total=counts.total, is_exact=counts.is_exact,
        by_type=[TypeCount(type=TimelineEntryType(t), count=n) for t, n in counts.by_type.items()],
        by_state=[StateCount(state=ActivityState(s), count=n) for s, n in counts.by_state.items()],
    )


def _once(load: Callable[[], Awaitable[TimelineCounts]]) -> Callable[[], Awaitable[TimelineCounts]]:
    """Counts asked for through a path the selection check missed: one statement, shared."""
    task: asyncio.Future[TimelineCounts] | None = None

    def get() -> Awaitable[TimelineCounts]:
        nonlocal task
        if task is None:
            task = asyncio.ensure_future(load())
        return task

    return get


async def timeline(
    info: Info, record_id: strawberry.ID, filter: TimelineFilter | None = None,
    rollup: RollupType = RollupType.RELATED, first: int | None = None, after: str | None = None,
    last: int | None = None, before: str | None = None, where: TimelineWhere | None = None,
) -> TimelineConnection:
    scope = info.context.scope
    db = info.context.db
    raw_id = decode_id(record_id, RECORD_TYPE_NAMES, ("recordId",))
    flt = dataclasses.replace(_filter(filter), where=where_predicate(where, scope))
    request = page_request(queries.KEYS, first, after, last, before)
    selected = field_selection(info)

    async def read_page() -> queries.TimelinePage:
        async with db.read() as session:
            return await queries.timeline_page(session, scope, raw_id, flt, rollup.value, request)

    async def read_counts() -> TimelineCounts:
        async with db.read() as session:
            found = await queries.timeline_counts(session, scope, raw_id, flt, rollup.value)
        return _counts_object(found)

    counts_source: Callable[[], Any]
    if "totalCount" in selected or "counts" in selected:
        page, counts = await asyncio.gather(read_page(), read_counts(), return_exceptions=True)
        if isinstance(page, BaseException):
            raise page
        if isinstance(counts, BaseException):
            raise counts
        counts_source = lambda: counts  # noqa: E731
    else:
        page = await read_page()
        counts_source = _once(read_counts)
    await prefetch(info, page.rows)
    edges = [
        TimelineEdge(
            cursor=encode_cursor(queries.KEYS, (row.sort_key, row.entry_id)),
            node=entry_node(row.activity, row.note), entry_type=TimelineEntryType(row.entry_type),
            date=row.sort_key, relation=TimelineRelation(row.relation),
        )
        for row in page.rows
    ]
    return TimelineConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
        ),
        counts_source=counts_source,
    )


async def prefetch(info: Info, rows: list[queries.TimelineRow]) -> None:
    """One batch per kind, only for the fields the query selected (DESIGN §2, step 4)."""
    selected = node_selection(info)
    if not selected:
        return
    principals: set[uuid.UUID] = set()
    records: set[uuid.UUID] = set()
    activities: set[uuid.UUID] = set()
    with_files: set[uuid.UUID] = set()
    wants_party = "party" in sub_selection(selected, "parties")
    for row in rows:
        item: Any = row.activity if row.activity is not None else row.note
        for name, column in PRINCIPAL_FIELDS.items():
            if name in selected:
                principals.add(getattr(item, column))
        if row.activity is not None:
            if "regarding" in selected and row.activity.regarding_id is not None:
                records.add(row.activity.regarding_id)
            if wants_party:
                for party in row.activity.party_list or ():
                    if party.get("party_id"):
                        bucket = principals if party.get("party_type") in PRINCIPAL_PARTY_TYPES else records
                        bucket.add(uuid.UUID(party["party_id"]))
        elif row.note is not None:
            if "about" in selected:
                if row.note.activity_id is not None:
                    activities.add(row.note.activity_id)
                elif row.note.record_id is not None:
                    records.add(row.note.record_id)
            if "attachments" in selected and row.note.attachment_count:
                with_files.add(row.note.id)
    loaders = info.context.loaders
    batches = [(loaders.principal_by_id, principals), (loaders.record_by_id, records),
               (loaders.activity_by_id, activities), (loaders.attachments_by_owner, with_files)]
    waits = [loader.load_many(sorted(keys)) for loader, keys in batches if keys]
    if waits:
        await asyncio.gather(*waits)

"""The "My activities" list and its counts (R-VIEW-1), and the page prefetch for activities.

A page costs a fixed number of statements: the page, its count when asked, and one batch
per kind of related row the query selected (principals, records). Parties come from the
`party_list` copy on each row, so they add no statement; their users and records join
the same two batches as owners and regarding records.

The page reads plain rows of the table's columns, not ORM objects: a page is read once
and turned into schema objects, so the identity map, change tracking and instance state
of 50 ORM objects were pure cost (about 14 % of a page's CPU). The rows carry the
same attribute names, which is all `activity_node` and the cursors read.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

from graph import models
from graph.queries import activities as queries
from graph.queries.paging import fetch_page
from resolvers.context import Info
from resolvers.filters import where_predicate
from resolvers.ids import decode_id, decode_ids
from resolvers.pagination import encode_cursor, page_request
from resolvers.selection import field_selection, node_selection, sub_selection
from schema.inputs import activities as inputs
from schema.inputs.filters import ActivityWhere
from schema.types.activities import PRINCIPAL_PARTY_TYPES, Activity, ActivityCounts, activity_node
from schema.types.connection import Connection, Edge
from resolvers.connections import counted_connection

PRINCIPAL_IDS = {"owner": "owner_id", "createdBy": "created_by_id", "modifiedBy": "modified_by_id"}
ACTIVITY_COLUMNS = tuple(models.Activity.__table__.c)
REGARDING_TYPES = {"Account", "Contact", "Lead", "Opportunity", "Case"}


async def prefetch_activity_related(info: Info, rows: Iterable[Any], selected: dict[str, Any]) -> None:
    """Load, in one batch per kind, the principals and records the selected fields show."""
    rows = list(rows)
    principal_ids: set[uuid.UUID] = set()
    record_ids: set[uuid.UUID] = set()
    for name, column in PRINCIPAL_IDS.items():
        if name in selected:
            principal_ids.update(getattr(r, column) for r in rows)
    if "regarding" in selected:
        record_ids.update(r.regarding_id for r in rows if r.regarding_id is not None)
    if "parties" in selected and "party" in sub_selection(selected, "parties"):
        for row in rows:
            for party in row.party_list or ():
                if party.get("party_id"):
                    wanted = principal_ids if party.get("party_type") in PRINCIPAL_PARTY_TYPES else record_ids
                    wanted.add(uuid.UUID(party["party_id"]))
    loaders = info.context.loaders
    waits = []
    if principal_ids:
        waits.append(loaders.principal_by_id.load_many(list(principal_ids)))
    if record_ids:
        waits.append(loaders.record_by_id.load_many(list(record_ids)))
    if waits:
        await asyncio.gather(*waits)


def _filter(info: Info, f: inputs.ActivityFilter | None, where: ActivityWhere | None = None) -> queries.ActivityFilter:
    return activity_filter(info.context.scope, f, where)


def activity_filter(scope: Any, f: inputs.ActivityFilter | None, where: ActivityWhere | None = None) -> queries.ActivityFilter:
    """The list's filter in plain values (also the compiled read path's, resolvers/compiled)."""
    f = f or inputs.ActivityFilter()
    regarding_id = decode_id(f.regarding.record_id, REGARDING_TYPES, ("filter", "regarding", "recordId")) \
        if f.regarding is not None else None
    return queries.make_filter(
        scope,
        owner=f.owner.value if f.owner is not None else None,
        owner_ids=(decode_ids(f.owner_ids, {"User", "Team"}, ("filter", "ownerIds"))
                   if f.owner_ids is not None else None),
        types=[t.value for t in f.types] if f.types else None,
        states_given=[s.value for s in f.states] if f.states else None,
        group=f.state_group.value if f.state_group is not None else None,
        regarding_id=regarding_id, personal_only=bool(f.regarding_none),
        due_after=f.due_after, due_before=f.due_before,
        where=where_predicate(where, scope),
    )


async def activities(
    info: Info, filter: inputs.ActivityFilter | None = None, order_by: list[inputs.ActivityOrder] | None = None,
    first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
    where: ActivityWhere | None = None,
) -> Connection[Activity]:
    """"My activities" (R-VIEW-1): yours by default, any type and state, soonest due first."""
    scope = info.context.scope
    flt = _filter(info, filter, where)
    keys = queries.sort_keys([(o.field.value, o.direction.value == "DESC") for o in order_by or []])
    request = page_request(keys, first, after, last, before)
    query = queries.list_query(scope, flt).with_only_columns(*ACTIVITY_COLUMNS)
    db = info.context.db
    async with db.read() as session:
        page = await fetch_page(session, query, keys, request, scalars=False)
    await prefetch_activity_related(info, page.rows, node_selection(info))
    # Every edge's cursor only when `edges` are selected (`nodes` clients never see them);
    # the first and last always, for pageInfo.
    every = "edges" in field_selection(info)
    last = len(page.rows) - 1
    edges = [Edge(cursor=encode_cursor(keys, queries.position(r, keys)) if every or i in (0, last) else "",
                  node=activity_node(r)) for i, r in enumerate(page.rows)]

    return counted_connection(edges, page, db, query)


async def activity_counts(info: Info, filter: inputs.ActivityFilter | None = None,
                          where: ActivityWhere | None = None) -> ActivityCounts:
    """The same filter as `activities`, counted by type and by state."""
    flt = _filter(info, filter, where)
    async with info.context.db.read() as session:
        found = await queries.counts(session, info.context.scope, flt)
    return ActivityCounts.from_pairs(found)

"""`auditTrail(recordId, first, after)`: the changes of one record, activity or note, newest first."""

from __future__ import annotations

from typing import Any

import strawberry

from graph.models import AuditEntry as AuditRow
from graph.queries import audit as queries
from graph.queries.paging import count, fetch_page, position
from resolvers.context import Info
from resolvers.ids import decode_id, to_global_id
from resolvers.pagination import encode_cursor, page_request
from schema.types.activities import GRAPHQL_NAMES as ACTIVITY_NAMES
from schema.types.audit import AuditAction, AuditChange, AuditEntry
from schema.types.connection import Connection, Edge, PageInfo
from schema.types.records import GRAPHQL_NAMES as RECORD_NAMES

TYPE_NAMES = {**RECORD_NAMES, **ACTIVITY_NAMES, "NOTE": "Note"}
AUDITED_TYPES = frozenset(TYPE_NAMES.values())


def entry_node(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        action=AuditAction(row.action),
        subject_id=strawberry.ID(to_global_id(TYPE_NAMES.get(row.subject_type, row.subject_type), row.subject_id)),
        subject_type=TYPE_NAMES.get(row.subject_type, row.subject_type),
        changed_on=row.changed_on, version=row.version,
        changes=[AuditChange.from_json(c) for c in row.changes or []],
        actor_id=row.actor_id,
    )


async def audit_trail(info: Info, record_id: strawberry.ID, first: int | None = None,
                      after: str | None = None) -> Connection[AuditEntry]:
    queries.require_auditor(info.context.scope)
    subject_id = decode_id(record_id, AUDITED_TYPES, ["recordId"])
    request = page_request(queries.KEYS, first, after, None, None)
    query = queries.trail_query(subject_id)
    db = info.context.db
    async with db.read() as session:
        page = await fetch_page(session, query, queries.KEYS, request)
    actors = list({r.actor_id for r in page.rows} - {None})
    if actors:
        await info.context.loaders.principal_by_id.load_many(actors)
    edges = [Edge(cursor=encode_cursor(queries.KEYS, position(r, queries.KEYS)), node=entry_node(r))
             for r in page.rows]

    async def total() -> int:
        async with db.read() as session:
            return await count(session, query)

    connection: Any = Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, has_previous_page=page.has_previous,
                           start_cursor=edges[0].cursor if edges else None,
                           end_cursor=edges[-1].cursor if edges else None),
        counter=total,
    )
    return connection

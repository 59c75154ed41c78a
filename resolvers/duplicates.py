"""`duplicates(recordId)` (R-QRY-3): the likely duplicates of one record the viewer may read."""

from __future__ import annotations

import strawberry

from graph.commands.common import any_record
from graph.queries import duplicates as queries
from graph.rules.errors import DomainError
from resolvers.context import Info
from resolvers.ids import decode_id
from schema.types.duplicates import DuplicateMatch, DuplicateRule
from schema.types.records import GRAPHQL_NAMES, record_node

TYPE_NAMES = {GRAPHQL_NAMES[t] for t in ("ACCOUNT", "CONTACT", "LEAD")}


async def duplicates(info: Info, record_id: strawberry.ID) -> list[DuplicateMatch]:
    """Empty for a record that is missing, not readable, or not of a type the rules cover."""
    try:
        raw = decode_id(record_id, TYPE_NAMES, ("recordId",))
        async with info.context.db.read() as session:
            record = await any_record(session, info.context.scope, raw, ("recordId",))
            matches = await queries.likely_duplicates(session, info.context.scope, record.type,
                                                      queries.values_of(record), exclude=record.id)
    except DomainError:
        return []
    return [DuplicateMatch(record=record_node(m.record), rules=[DuplicateRule(r) for r in m.reasons])
            for m in matches]

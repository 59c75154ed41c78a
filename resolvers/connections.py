"""A connection over one keyset page, its total counted only when a client asks for it."""

from __future__ import annotations

from typing import Any

from graph.db import Database
from graph.queries.paging import count
from schema.types.connection import Connection, Edge, PageInfo


def counted_connection(edges: list[Edge[Any]], page: Any, db: Database, query: Any) -> Connection[Any]:
    """`page` is what fetch_page returned for `query`; `totalCount` runs its own short read,
    so the page's session is never shared with it (sibling fields run concurrently)."""

    async def total() -> int:
        async with db.read() as session:
            return await count(session, query)

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
        ),
        counter=total,
    )

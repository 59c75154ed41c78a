"""`node(id)`, `nodes(ids)` and `viewer`: fetch anything by global id, within read scope.

A missing id and an id the viewer may not read give the same answer (null), so
existence is never leaked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from graph.models import utcnow
from graph.rules.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.ids import parse_global_id, to_global_id
from schema.types.principals import User, Viewer
from schema.types.records import GRAPHQL_NAMES

RECORD_NAMES = {v: k for k, v in GRAPHQL_NAMES.items()}

# Node types added by later modules register how to load them: name -> (info, uuid) -> awaitable.
NodeFetcher = Callable[[Info, Any], Awaitable[Any]]
EXTRA_FETCHERS: dict[str, NodeFetcher] = {}


def register_node_type(type_name: str, fetch: NodeFetcher) -> None:
    EXTRA_FETCHERS[type_name] = fetch


async def _fetch(info: Info, global_id: str) -> Any:
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, raw_id = parsed
    loaders = info.context.loaders
    if type_name in RECORD_NAMES:
        node = await loaders.record_by_id.load(raw_id)
        return node if node is not None and type(node).__name__ == type_name else None
    if type_name in ("User", "Team"):
        node = await loaders.principal_by_id.load(raw_id)
        return node if node is not None and type(node).__name__ == type_name else None
    fetch = EXTRA_FETCHERS.get(type_name)
    return await fetch(info, raw_id) if fetch else None


async def node(info: Info, id: strawberry.ID) -> Any:
    info.context.scope  # authenticate before anything else
    return await _fetch(info, id)


async def nodes(info: Info, ids: list[strawberry.ID]) -> list[Any]:
    info.context.scope
    if len(ids) > info.context.settings.max_page_size:
        raise DomainError(ErrorCode.VALIDATION, f"at most {info.context.settings.max_page_size} ids at once", ["ids"])
    return list(await asyncio.gather(*(_fetch(info, i) for i in ids)))


def viewer(info: Info) -> Viewer:
    scope = info.context.scope
    assert info.context.viewer is not None
    return Viewer(
        user=User.from_row(info.context.viewer.user),
        roles=sorted(scope.role_names),
        business_unit_id=strawberry.ID(to_global_id("BusinessUnit", scope.business_unit_id)),
        team_ids=[strawberry.ID(to_global_id("Team", t)) for t in sorted(scope.team_ids)],
        checked_at=utcnow(),
    )

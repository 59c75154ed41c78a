"""Reading activities within the viewer's read scope."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Activity
from graph.rules.access import Scope


def readable_activities(scope: Scope) -> ColumnElement[bool]:
    return scope.read_filter("activity", Activity.owner_id, Activity.owning_business_unit_id)


async def activities_by_id(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Activity]:
    rows = await session.scalars(select(Activity).where(Activity.id.in_(list(ids)), readable_activities(scope)))
    return {a.id: a for a in rows}

"""Reading the recycle bin (R-QRY-4): what the viewer may see of what was deleted lately.

The same read predicates as everywhere, turned round (`deleted=True`): a deleted record or
activity is listed to whoever could read it before, for as long as it is kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import RECORD_CLASSES, Activity, Record
from graph.queries.activities import readable_activities
from graph.queries.records import readable
from graph.rules.access import Scope


async def deleted_items(session: AsyncSession, scope: Scope, since: datetime, limit: int) -> list[Any]:
    """Records and activities deleted at or after `since`, the latest deleted first."""
    records = list((await session.scalars(
        select(Record)
        .where(or_(*(readable(scope, t, deleted=True) for t in RECORD_CLASSES)), Record.deleted_on >= since)
        .order_by(Record.deleted_on.desc(), Record.id).limit(limit)
    )).all())
    activities = list((await session.scalars(
        select(Activity)
        .where(readable_activities(scope, deleted=True), Activity.deleted_on >= since)
        .order_by(Activity.deleted_on.desc(), Activity.id).limit(limit)
    )).all())
    both: list[Any] = [*records, *activities]
    both.sort(key=lambda row: (row.deleted_on, str(row.id)), reverse=True)
    return both[:limit]


async def binned_activities(session: AsyncSession, scope: Scope, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these activities are in the recycle bin and readable to the viewer: a live
    timeline still tells them the entry went (REMOVED), with no entry to show."""
    if not ids:
        return set()
    return set((await session.scalars(
        select(Activity.id).where(Activity.id.in_(ids), readable_activities(scope, deleted=True))
    )).all())

"""Reading record types' display names (R-REC-3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import OrgSettings
from graph.rules.metadata import RecordTypeNames, names_of


async def record_types(session: AsyncSession) -> list[RecordTypeNames]:
    stored = await session.scalar(select(OrgSettings.record_type_names).where(OrgSettings.id == 1))
    return names_of(stored)

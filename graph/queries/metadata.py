"""Reading record types' display names (R-REC-3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import OrgSettings
from graph.rules.metadata import RecordTypeNames, names_of


async def record_types(session: AsyncSession) -> list[RecordTypeNames]:
    stored = await session.scalar(select(OrgSettings.record_type_names).where(OrgSettings.id == 1))
    return names_of(stored)


async def type_label(session: AsyncSession, record_type: str) -> str:
    """How messages name a record type: its current singular display name, lower case
    ("company" once accounts are renamed), so refusals speak the organisation's words."""
    names = next(n for n in await record_types(session) if n.record_type == record_type)
    return names.singular.lower()

"""Renaming a record type's display names (R-REC-3): administrators only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import OrgSettings
from graph.rules import metadata as rules
from graph.rules.access import Scope


async def rename_record_type(
    session: AsyncSession, scope: Scope, record_type: str, singular: str, plural: str, now: datetime,
) -> rules.RecordTypeNames:
    scope.require_configuration()
    singular, plural = rules.check_names(record_type, singular, plural)
    settings = await session.scalar(select(OrgSettings).where(OrgSettings.id == 1).with_for_update())
    assert settings is not None, "the organisation is set up by `relate migrate`"
    # A new dict, not an in-place change: the JSON column only notices assignment.
    settings.record_type_names = rules.renamed(settings.record_type_names or {}, record_type, singular, plural)
    await session.flush()
    return next(n for n in rules.names_of(settings.record_type_names) if n.record_type == record_type)

"""Business units (R-ADM-3): create, rename, move (no cycles), deactivate.

Depth rules read the unit stamped on each record, activity, note and timeline row, so
when a user or team moves to another unit, `restamp_owned` moves that stamp on what it
owns: one UPDATE per table, whatever the number of rows, and the next request's depth
rules see the new unit. Every change bumps the security stamp (cached scopes hold the
unit tree). Nothing here commits.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.organisation_log import announce
from graph.commands.setup import bump_security_stamp
from graph.models import Activity, BusinessUnit, Note, Principal, Record, TimelineCount, TimelineEntry
from graph.rules.access import Scope, descendants
from graph.rules.errors import DomainError, ErrorCode, not_found
from graph.rules.users import check_name

# The tables that copy their owner's unit, in the order they are restamped.
OWNED_TABLES = (Record, Activity, Note, TimelineEntry, TimelineCount)


async def create_unit(session: AsyncSession, scope: Scope, name: str, parent_id: uuid.UUID,
                      now: datetime) -> BusinessUnit:
    scope.require_configuration()
    checked = check_name(name, ["input", "name"])
    await active_unit(session, parent_id, ("input", "parentId"))
    unit = BusinessUnit(name=checked, parent_id=parent_id, is_active=True)
    session.add(unit)
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "BUSINESS_UNIT", unit.id, "CREATED", now=now)
    return unit


async def update_unit(session: AsyncSession, scope: Scope, unit_id: uuid.UUID, *, name: str | None,
                      parent_id: uuid.UUID | None) -> BusinessUnit:
    """Rename, move, or both; everything is checked before anything changes."""
    scope.require_configuration()
    unit = await _unit(session, unit_id)
    if name is None and parent_id is None:
        raise DomainError(ErrorCode.VALIDATION, "give a new name or a new parent", ["input"])
    checked = check_name(name, ["input", "name"]) if name is not None else unit.name
    if parent_id is not None and parent_id != unit.parent_id:
        await _check_move(session, unit, parent_id)
        unit.parent_id = parent_id
    unit.name = checked
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "BUSINESS_UNIT", unit.id, "UPDATED")
    return unit


async def _check_move(session: AsyncSession, unit: BusinessUnit, parent_id: uuid.UUID) -> None:
    """Under another unit; never under itself or one of its own units (a cycle)."""
    if unit.parent_id is None:
        raise DomainError(ErrorCode.INVALID_STATE, "the root unit stays at the root", ["input", "id"])
    await active_unit(session, parent_id, ("input", "parentId"))
    tree = {u: p for u, p in await session.execute(select(BusinessUnit.id, BusinessUnit.parent_id))}
    if parent_id in descendants(unit.id, tree):
        raise DomainError(ErrorCode.VALIDATION, f"'{unit.name}' cannot move under itself or a unit below it",
                          ["input", "parentId"])


async def set_unit_active(session: AsyncSession, scope: Scope, unit_id: uuid.UUID, active: bool) -> BusinessUnit:
    """Deactivating is refused while active users, teams or units are in it: move them first."""
    scope.require_configuration()
    unit = await _unit(session, unit_id)
    if unit.is_active == active:
        state = "active" if active else "deactivated"
        raise DomainError(ErrorCode.INVALID_STATE, f"'{unit.name}' is already {state}", ["input", "id"])
    if not active:
        if unit.parent_id is None:
            raise DomainError(ErrorCode.INVALID_STATE, "the root unit cannot be deactivated", ["input", "id"])
        members = await session.scalar(select(exists().where(
            Principal.business_unit_id == unit.id, Principal.is_active.is_(True))))
        children = await session.scalar(select(exists().where(
            BusinessUnit.parent_id == unit.id, BusinessUnit.is_active.is_(True))))
        if members or children:
            raise DomainError(ErrorCode.INVALID_STATE,
                              f"'{unit.name}' still has active users, teams or units: move or deactivate them first",
                              ["input", "id"])
    elif unit.parent_id is not None:
        await active_unit(session, unit.parent_id, ("input", "id"))
    unit.is_active = active
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "BUSINESS_UNIT", unit.id, "ACTIVATED" if active else "DEACTIVATED")
    return unit


async def restamp_owned(session: AsyncSession, owner_id: uuid.UUID, unit_id: uuid.UUID) -> None:
    """What `owner_id` owns is now owned in `unit_id`: one statement per table."""
    for table in OWNED_TABLES:
        await session.execute(
            update(table).where(table.owner_id == owner_id).values(owning_business_unit_id=unit_id)
            .execution_options(synchronize_session=False)
        )


async def active_unit(session: AsyncSession, unit_id: uuid.UUID, field: tuple[str, ...]) -> BusinessUnit:
    unit = await session.get(BusinessUnit, unit_id)
    if unit is None:
        raise not_found("business unit", field)
    if not unit.is_active:
        raise DomainError(ErrorCode.DEACTIVATED, f"'{unit.name}' is deactivated", field)
    return unit


async def _unit(session: AsyncSession, unit_id: uuid.UUID) -> BusinessUnit:
    unit = await session.get(BusinessUnit, unit_id)
    if unit is None:
        raise not_found("business unit", ["input", "id"])
    return unit

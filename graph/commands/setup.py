"""Organisation set-up that every database needs: the settings row and built-in roles.

Idempotent: `relate migrate` runs it after the schema migrations, so a new release's
changes to the built-in roles reach existing databases too.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import BusinessUnit, OrgSettings, Role, RolePrivilege, Team, TeamMember, User, UserRole
from graph.rules.access import BUILTIN_ROLES


async def ensure_organisation(session: AsyncSession, *, attachment_max_bytes: int,
                              blocked_extensions: list[str]) -> None:
    if await session.get(OrgSettings, 1) is None:
        session.add(OrgSettings(id=1, security_stamp=1, attachment_max_bytes=attachment_max_bytes,
                                attachment_blocked_extensions=blocked_extensions, record_type_names={}))
    for name, privileges in BUILTIN_ROLES.items():
        role = await session.scalar(select(Role).where(Role.name == name))
        if role is None:
            role = Role(name=name)
            session.add(role)
            await session.flush()
        await session.execute(delete(RolePrivilege).where(RolePrivilege.role_id == role.id))
        session.add_all(
            RolePrivilege(role_id=role.id, record_type=t, action=a, depth=d.name)
            for (t, a), d in privileges.items()
        )
    await bump_security_stamp(session)


async def bump_security_stamp(session: AsyncSession) -> None:
    """Every cached scope is rebuilt on its next request."""
    await session.execute(update(OrgSettings).where(OrgSettings.id == 1).values(
        security_stamp=OrgSettings.security_stamp + 1))


async def add_business_unit(session: AsyncSession, name: str, parent_id: uuid.UUID | None) -> BusinessUnit:
    unit = BusinessUnit(name=name, parent_id=parent_id)
    session.add(unit)
    await session.flush()
    await bump_security_stamp(session)
    return unit


async def add_user(session: AsyncSession, *, name: str, email: str, unit_id: uuid.UUID, roles: list[str],
                   now: datetime, business_phone: str | None = None, mobile_phone: str | None = None,
                   time_zone: str = "UTC", working_hours: dict[str, list[str]] | None = None) -> User:
    user = User(name=name, email=email.lower(), business_unit_id=unit_id, created_on=now,
                business_phone=business_phone, mobile_phone=mobile_phone, time_zone=time_zone,
                working_hours=working_hours, is_active=True)
    session.add(user)
    await session.flush()
    for role_name in roles:
        role_id = await session.scalar(select(Role.id).where(Role.name == role_name))
        if role_id is None:
            raise ValueError(f"no role named {role_name!r}")
        session.add(UserRole(user_id=user.id, role_id=role_id))
    await session.flush()
    await bump_security_stamp(session)
    return user


async def add_team(session: AsyncSession, *, name: str, unit_id: uuid.UUID, member_ids: list[uuid.UUID],
                   now: datetime) -> Team:
    team = Team(name=name, business_unit_id=unit_id, created_on=now, is_active=True)
    session.add(team)
    await session.flush()
    session.add_all(TeamMember(team_id=team.id, user_id=m) for m in member_ids)
    await session.flush()
    await bump_security_stamp(session)
    return team


async def set_user_active(session: AsyncSession, user_id: uuid.UUID, active: bool) -> None:
    await session.execute(update(User).where(User.id == user_id).values(is_active=active))
    await bump_security_stamp(session)

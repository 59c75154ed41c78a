"""Reading users, their roles, teams and units (R-ADM-2).

The people of the organisation are a directory every signed-in user may read (owners,
parties and assignees are picked from it); what a user may do is not in here.
Related rows are read for a whole page at once: one statement per kind.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import BusinessUnit, Role, RolePrivilege, Team, TeamMember, TeamRole, User, UserRole
from graph.queries.keyset import SortKey

USER_KEYS = [SortKey("name", User.name), SortKey("id", User.id)]


@dataclass(frozen=True)
class UserFilter:
    text: str | None = None
    is_active: bool | None = None
    business_unit_id: uuid.UUID | None = None
    role_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


def users_query(flt: UserFilter) -> Select[Any]:
    query = select(User)
    if flt.text:
        pattern = f"%{flt.text.strip().lower()}%"
        query = query.where(or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern)))
    if flt.is_active is not None:
        query = query.where(User.is_active.is_(flt.is_active))
    if flt.business_unit_id is not None:
        query = query.where(User.business_unit_id == flt.business_unit_id)
    if flt.role_id is not None:
        query = query.where(exists().where(UserRole.user_id == User.id, UserRole.role_id == flt.role_id))
    if flt.team_id is not None:
        query = query.where(exists().where(TeamMember.user_id == User.id, TeamMember.team_id == flt.team_id))
    return query


async def roles_by_principal(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Role]]:
    """The own roles of users and teams (their ids never collide: one principals table)."""
    holders = union_all(
        select(UserRole.user_id.label("holder"), UserRole.role_id.label("role_id")).where(UserRole.user_id.in_(user_ids)),
        select(TeamRole.team_id, TeamRole.role_id).where(TeamRole.team_id.in_(user_ids)),
    ).subquery()
    rows = await session.execute(
        select(holders.c.holder, Role).join(Role, Role.id == holders.c.role_id).order_by(Role.name)
    )
    found: dict[uuid.UUID, list[Role]] = {u: [] for u in user_ids}
    for user_id, role in rows:
        found[user_id].append(role)
    return found


async def teams_by_user(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Team]]:
    rows = await session.execute(
        select(TeamMember.user_id, Team).join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(user_ids)).order_by(Team.name)
    )
    found: dict[uuid.UUID, list[Team]] = {u: [] for u in user_ids}
    for user_id, team in rows:
        found[user_id].append(team)
    return found


async def members_by_team(session: AsyncSession, team_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[User]]:
    rows = await session.execute(
        select(TeamMember.team_id, User).join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id.in_(team_ids)).order_by(User.name, User.id)
    )
    found: dict[uuid.UUID, list[User]] = {t: [] for t in team_ids}
    for team_id, user in rows:
        found[team_id].append(user)
    return found


async def units_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, BusinessUnit]:
    rows = await session.scalars(select(BusinessUnit).where(BusinessUnit.id.in_(ids)))
    return {u.id: u for u in rows}


async def roles(session: AsyncSession) -> list[Role]:
    return list((await session.scalars(select(Role).order_by(Role.name))).all())


async def units(session: AsyncSession) -> list[BusinessUnit]:
    return list((await session.scalars(select(BusinessUnit).order_by(BusinessUnit.name, BusinessUnit.id))).all())


async def teams(session: AsyncSession) -> list[Team]:
    return list((await session.scalars(select(Team).order_by(Team.name, Team.id))).all())


async def privileges_by_role(session: AsyncSession, role_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[RolePrivilege]]:
    rows = await session.scalars(
        select(RolePrivilege).where(RolePrivilege.role_id.in_(role_ids), RolePrivilege.depth != "NONE")
        .order_by(RolePrivilege.record_type, RolePrivilege.action)
    )
    found: dict[uuid.UUID, list[RolePrivilege]] = {r: [] for r in role_ids}
    for row in rows:
        found[row.role_id].append(row)
    return found


async def roles_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Role]:
    return {r.id: r for r in await session.scalars(select(Role).where(Role.id.in_(ids)))}

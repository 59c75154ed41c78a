"""Teams (R-ADM-4): create, rename, move to another unit, add and remove members.

A team owns records like a user does; its members act on them through USER depth (their
scope's principal ids include their teams) and through the team's own roles. Membership
is part of every member's scope, so each change bumps the security stamp.
Nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.organisation_log import announce
from graph.commands.setup import bump_security_stamp
from graph.commands.units import active_unit, restamp_owned
from graph.models import Team, TeamMember, User
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found
from graph.rules.users import check_name


async def create_team(session: AsyncSession, scope: Scope, name: str, unit_id: uuid.UUID,
                      member_ids: Sequence[uuid.UUID], now: datetime) -> Team:
    scope.require_configuration()
    team = Team(name=check_name(name, ["input", "name"]), created_on=now, is_active=True,
                business_unit_id=(await active_unit(session, unit_id, ("input", "businessUnitId"))).id)
    session.add(team)
    await session.flush()
    await _add(session, team, member_ids)
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "TEAM", team.id, "CREATED", now=now,
                   changes=_members("memberIds", None, member_ids))
    return team


async def update_team(session: AsyncSession, scope: Scope, team_id: uuid.UUID, *, name: str | None,
                      unit_id: uuid.UUID | None) -> Team:
    """Rename, or move to another unit: what the team owns moves with it."""
    scope.require_configuration()
    team = await team_for(session, team_id)
    if name is not None:
        team.name = check_name(name, ["input", "name"])
    if unit_id is not None and unit_id != team.business_unit_id:
        await active_unit(session, unit_id, ("input", "businessUnitId"))
        team.business_unit_id = unit_id
        await restamp_owned(session, team.id, unit_id)
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "TEAM", team.id, "UPDATED")
    return team


async def add_members(session: AsyncSession, scope: Scope, team_id: uuid.UUID,
                      user_ids: Sequence[uuid.UUID]) -> Team:
    scope.require_configuration()
    team = await team_for(session, team_id)
    await _add(session, team, user_ids)
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "TEAM", team.id, "MEMBERS_CHANGED",
                   changes=_members("memberIds", None, user_ids))
    return team


async def remove_members(session: AsyncSession, scope: Scope, team_id: uuid.UUID,
                         user_ids: Sequence[uuid.UUID]) -> Team:
    scope.require_configuration()
    team = await team_for(session, team_id)
    await session.execute(delete(TeamMember).where(TeamMember.team_id == team.id,
                                                   TeamMember.user_id.in_(list(user_ids))))
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "TEAM", team.id, "MEMBERS_CHANGED",
                   changes=_members("memberIds", user_ids, None))
    return team


def _members(field: str, old: Sequence[uuid.UUID] | None, new: Sequence[uuid.UUID] | None) -> list[dict[str, object]]:
    def listed(ids: Sequence[uuid.UUID] | None) -> list[str] | None:
        return None if ids is None else sorted(str(i) for i in ids)
    return [{"field": field, "old": listed(old), "new": listed(new)}]


async def _add(session: AsyncSession, team: Team, user_ids: Sequence[uuid.UUID]) -> None:
    wanted = list(dict.fromkeys(user_ids))
    found = set((await session.scalars(select(User.id).where(User.id.in_(wanted)))).all()) if wanted else set()
    missing = [i for i, u in enumerate(wanted) if u not in found]
    if missing:
        raise DomainError(ErrorCode.NOT_FOUND, "user not found", ["input", "userIds", str(missing[0])])
    present = set((await session.scalars(select(TeamMember.user_id).where(
        TeamMember.team_id == team.id, TeamMember.user_id.in_(wanted)))).all())
    session.add_all(TeamMember(team_id=team.id, user_id=u) for u in wanted if u not in present)
    await session.flush()


async def team_for(session: AsyncSession, team_id: uuid.UUID, field: Sequence[str] = ("input", "id")) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise not_found("team", field)
    return team

"""Root operations for business units and teams (R-ADM-3, R-ADM-4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import teams as team_commands
from graph.commands import units as unit_commands
from graph.queries import users as queries
from graph.rules.access import Scope
from resolvers.context import Info
from resolvers.ids import decode_id, decode_ids
from resolvers.inputs import decode_optional
from resolvers.mutation_runner import run_mutation
from resolvers.nodes import register_node_type
from schema.inputs import organisation as inputs
from schema.payloads.organisation import BusinessUnitPayload, TeamPayload
from schema.types.principals import BusinessUnit, Team

UNIT = {"BusinessUnit"}
TEAM = {"Team"}
USER = {"User"}


async def business_units(info: Info) -> list[BusinessUnit]:
    info.context.scope  # noqa: B018 - authenticated first
    async with info.context.db.read() as session:
        return [BusinessUnit.from_row(u) for u in await queries.units(session)]


async def teams(info: Info) -> list[Team]:
    info.context.scope  # noqa: B018 - authenticated first
    async with info.context.db.read() as session:
        return [Team.from_row(t) for t in await queries.teams(session)]


async def create_business_unit(info: Info, input: inputs.CreateBusinessUnitInput) -> BusinessUnitPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        parent = decode_id(input.parent_id, UNIT, ("input", "parentId"))
        return {"business_unit": BusinessUnit.from_row(
            await unit_commands.create_unit(session, scope, input.name, parent, now))}
    return await run_mutation(info, BusinessUnitPayload, work)


async def update_business_unit(info: Info, input: inputs.UpdateBusinessUnitInput) -> BusinessUnitPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        unit_id = decode_id(input.id, UNIT, ("input", "id"))
        parent = decode_optional(input.parent_id, UNIT, ("input", "parentId"))
        unit = await unit_commands.update_unit(session, scope, unit_id, name=input.name, parent_id=parent)
        return {"business_unit": BusinessUnit.from_row(unit)}
    return await run_mutation(info, BusinessUnitPayload, work)


async def deactivate_business_unit(info: Info, input: inputs.DeactivateBusinessUnitInput) -> BusinessUnitPayload:
    return await _set_unit_active(info, input.id, False)


async def activate_business_unit(info: Info, input: inputs.ActivateBusinessUnitInput) -> BusinessUnitPayload:
    return await _set_unit_active(info, input.id, True)


async def _set_unit_active(info: Info, global_id: str, active: bool) -> BusinessUnitPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        unit_id = decode_id(global_id, UNIT, ("input", "id"))
        return {"business_unit": BusinessUnit.from_row(
            await unit_commands.set_unit_active(session, scope, unit_id, active))}
    return await run_mutation(info, BusinessUnitPayload, work)


async def create_team(info: Info, input: inputs.CreateTeamInput) -> TeamPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        unit = decode_id(input.business_unit_id, UNIT, ("input", "businessUnitId"))
        members = decode_ids(input.member_ids, USER, ("input", "memberIds"))
        return {"team": Team.from_row(await team_commands.create_team(session, scope, input.name, unit, members, now))}
    return await run_mutation(info, TeamPayload, work)


async def update_team(info: Info, input: inputs.UpdateTeamInput) -> TeamPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        team_id = decode_id(input.id, TEAM, ("input", "id"))
        unit = decode_optional(input.business_unit_id, UNIT, ("input", "businessUnitId"))
        return {"team": Team.from_row(await team_commands.update_team(session, scope, team_id, name=input.name,
                                                                      unit_id=unit))}
    return await run_mutation(info, TeamPayload, work)


async def add_team_members(info: Info, input: inputs.AddTeamMembersInput) -> TeamPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        team_id = decode_id(input.team_id, TEAM, ("input", "teamId"))
        users = decode_ids(input.user_ids, USER, ("input", "userIds"))
        return {"team": Team.from_row(await team_commands.add_members(session, scope, team_id, users))}
    return await run_mutation(info, TeamPayload, work)


async def remove_team_members(info: Info, input: inputs.RemoveTeamMembersInput) -> TeamPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        team_id = decode_id(input.team_id, TEAM, ("input", "teamId"))
        users = decode_ids(input.user_ids, USER, ("input", "userIds"))
        return {"team": Team.from_row(await team_commands.remove_members(session, scope, team_id, users))}
    return await run_mutation(info, TeamPayload, work)


async def _unit_node(info: Info, raw_id: Any) -> BusinessUnit | None:
    return await info.context.loaders.business_unit_by_id.load(raw_id)


register_node_type("BusinessUnit", _unit_node)

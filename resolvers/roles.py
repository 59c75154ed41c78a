"""Root operations for security roles (R-ADM-5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import roles as commands
from graph.rules.access import Scope
from resolvers.context import Info
from resolvers.ids import decode_id, decode_ids
from resolvers.inputs import decode_principal
from resolvers.mutation_runner import run_mutation
from schema.inputs import roles as inputs
from schema.payloads.roles import RoleAssignmentPayload, RolePayload
from schema.types.principals import Role, principal_node

ROLE = {"Role"}


async def copy_role(info: Info, input: inputs.CopyRoleInput) -> RolePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        role_id = decode_id(input.role_id, ROLE, ("input", "roleId"))
        return {"role": Role.from_row(await commands.copy_role(session, scope, role_id, input.name))}
    return await run_mutation(info, RolePayload, work)


async def update_role_privileges(info: Info, input: inputs.UpdateRolePrivilegesInput) -> RolePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        role_id = decode_id(input.role_id, ROLE, ("input", "roleId"))
        changes = [commands.PrivilegeChange(p.record_type.value, p.action.value, p.depth.value)
                   for p in input.privileges]
        return {"role": Role.from_row(await commands.update_role_privileges(session, scope, role_id, changes))}
    return await run_mutation(info, RolePayload, work)


async def assign_roles(info: Info, input: inputs.AssignRolesInput) -> RoleAssignmentPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        holder = decode_principal(input.principal_id, ("input", "principalId"))
        roles = decode_ids(input.role_ids, ROLE, ("input", "roleIds"))
        return {"principal": principal_node(await commands.assign_roles(session, scope, holder, roles))}
    return await run_mutation(info, RoleAssignmentPayload, work)


async def remove_roles(info: Info, input: inputs.RemoveRolesInput) -> RoleAssignmentPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        holder = decode_principal(input.principal_id, ("input", "principalId"))
        roles = decode_ids(input.role_ids, ROLE, ("input", "roleIds"))
        return {"principal": principal_node(await commands.remove_roles(session, scope, holder, roles))}
    return await run_mutation(info, RoleAssignmentPayload, work)


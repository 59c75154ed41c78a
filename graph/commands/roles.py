"""Security roles (R-ADM-5): built-ins are read-only; copies are edited per record type ×
action × depth and given to users and teams.

Every change bumps the security stamp: cached scopes, cached responses and the per-event
checks of open subscriptions all rebuild from it, so the new rights hold on the next
request and the next live event. Configuration rights stay with the built-in system
administrator role, so the last-administrator rule can count them. Nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.organisation_log import announce
from graph.commands.setup import bump_security_stamp
from graph.commands.users import require_an_administrator
from graph.models import Principal, Role, RolePrivilege, Team, TeamRole, UserRole
from graph.rules.access import ACTIONS, BUILTIN_ROLES, SECURED_TYPES, Depth, Scope
from graph.rules.errors import DomainError, ErrorCode, Problem, not_found
from graph.rules.users import check_name


@dataclass(frozen=True)
class PrivilegeChange:
    record_type: str
    action: str
    depth: str


async def copy_role(session: AsyncSession, scope: Scope, role_id: uuid.UUID, name: str) -> Role:
    scope.require_configuration()
    source = await _role(session, role_id)
    checked = check_name(name, ["input", "name"])
    if checked in BUILTIN_ROLES or await session.scalar(select(Role.id).where(Role.name == checked)):
        raise DomainError(ErrorCode.DUPLICATE, f"a role named '{checked}' exists", ["input", "name"])
    role = Role(name=checked)
    session.add(role)
    await session.flush()
    rows = (await session.scalars(select(RolePrivilege).where(RolePrivilege.role_id == source.id))).all()
    session.add_all(RolePrivilege(role_id=role.id, record_type=p.record_type, action=p.action, depth=p.depth)
                    for p in rows if p.record_type in SECURED_TYPES)
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "ROLE", role.id, "CREATED",
                   changes=[{"field": "copiedFrom", "old": None, "new": source.name}])
    return role


async def update_role_privileges(session: AsyncSession, scope: Scope, role_id: uuid.UUID,
                                 changes: Sequence[PrivilegeChange]) -> Role:
    """Set each given (type, action) to its depth; the others stay as they are."""
    scope.require_configuration()
    role = await _role(session, role_id)
    if role.name in BUILTIN_ROLES:
        raise DomainError(ErrorCode.INVALID_STATE, f"'{role.name}' is built in and read-only: copy it first",
                          ["input", "roleId"])
    problems = [Problem(ErrorCode.VALIDATION, f"unknown privilege {c.record_type}/{c.action}/{c.depth}",
                        ("input", "privileges", str(i)))
                for i, c in enumerate(changes)
                if c.record_type not in SECURED_TYPES or c.action not in ACTIONS or c.depth not in Depth.__members__]
    if problems:
        raise DomainError(problems=problems)
    for change in changes:
        await session.execute(delete(RolePrivilege).where(
            RolePrivilege.role_id == role.id, RolePrivilege.record_type == change.record_type,
            RolePrivilege.action == change.action))
        session.add(RolePrivilege(role_id=role.id, record_type=change.record_type, action=change.action,
                                  depth=change.depth))
        await session.flush()
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "ROLE", role.id, "PRIVILEGES_CHANGED", changes=[
        {"field": f"{c.record_type}.{c.action}", "old": None, "new": c.depth} for c in changes])
    return role


async def assign_roles(session: AsyncSession, scope: Scope, principal: tuple[str, uuid.UUID],
                       role_ids: Sequence[uuid.UUID]) -> Principal:
    scope.require_configuration()
    holder = await _holder(session, principal)
    wanted = await _roles(session, role_ids)
    table, column = (TeamRole, TeamRole.team_id) if isinstance(holder, Team) else (UserRole, UserRole.user_id)
    held = set((await session.scalars(select(table.role_id).where(column == holder.id))).all())
    for role_id in wanted:
        if role_id not in held:
            session.add(TeamRole(team_id=holder.id, role_id=role_id) if isinstance(holder, Team)
                        else UserRole(user_id=holder.id, role_id=role_id))
    await session.flush()
    await bump_security_stamp(session)
    await _announce_roles(session, scope, holder, None, wanted)
    return holder


async def remove_roles(session: AsyncSession, scope: Scope, principal: tuple[str, uuid.UUID],
                       role_ids: Sequence[uuid.UUID]) -> Principal:
    """Never the last active system administrator's role (LAST_ADMINISTRATOR)."""
    scope.require_configuration()
    holder = await _holder(session, principal)
    wanted = await _roles(session, role_ids)
    if isinstance(holder, Team):
        await session.execute(delete(TeamRole).where(TeamRole.team_id == holder.id, TeamRole.role_id.in_(wanted)))
    else:
        await session.execute(delete(UserRole).where(UserRole.user_id == holder.id, UserRole.role_id.in_(wanted)))
        await require_an_administrator(session, ["input", "roleIds"])
    await bump_security_stamp(session)
    await _announce_roles(session, scope, holder, wanted, None)
    return holder


async def _announce_roles(session: AsyncSession, scope: Scope, holder: Principal, removed: list[uuid.UUID] | None,
                          added: list[uuid.UUID] | None) -> None:
    def listed(ids: list[uuid.UUID] | None) -> list[str] | None:
        return None if ids is None else sorted(str(i) for i in ids)
    await announce(session, scope.user_id, holder.kind.upper(), holder.id, "ROLES_CHANGED",
                   changes=[{"field": "roleIds", "old": listed(removed), "new": listed(added)}])


async def _holder(session: AsyncSession, principal: tuple[str, uuid.UUID]) -> Principal:
    """The user or team a (kind, id) names: a user's id given as a team's is not found."""
    kind, principal_id = principal
    holder = await session.get(Principal, principal_id)
    if holder is None or holder.kind != kind:
        raise not_found(kind, ["input", "principalId"])
    return holder


async def _roles(session: AsyncSession, role_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(role_ids))
    found = set((await session.scalars(select(Role.id).where(Role.id.in_(wanted)))).all()) if wanted else set()
    missing = [i for i, r in enumerate(wanted) if r not in found]
    if missing or not wanted:
        raise DomainError(ErrorCode.NOT_FOUND if wanted else ErrorCode.VALIDATION,
                          "role not found" if wanted else "give at least one role",
                          ["input", "roleIds", *([str(missing[0])] if missing else [])])
    return wanted


async def _role(session: AsyncSession, role_id: uuid.UUID) -> Role:
    role = await session.get(Role, role_id)
    if role is None:
        raise not_found("role", ["input", "roleId"])
    return role

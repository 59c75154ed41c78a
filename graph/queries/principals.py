"""Who is asking: bearer token → active user → `Scope`.

Authentication costs one statement per request: the token, its user and the
organisation's security stamp in one join. The scope (roles, teams, unit tree) is cached
per process under that stamp, which every security change bumps, so a change made by
any process is seen by the next request everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import (
    ApiToken,
    BusinessUnit,
    OrgSettings,
    Principal,
    Role,
    RolePrivilege,
    Team,
    TeamMember,
    TeamRole,
    User,
    UserRole,
)
from graph.rules.access import Depth, Scope, TeamGrant, descendants, merge_privileges
from graph.rules.tokens import token_digest


@dataclass(frozen=True)
class Viewer:
    user: User
    scope: Scope


_scope_cache: dict[tuple[uuid.UUID, int], Scope] = {}


def token_lookup(token: str) -> Select[Any]:
    """Authentication's one statement: the token's active user and the security stamp.
    Callers may add columns to it and keep it one statement (the response cache adds the
    outbox head, server/response_cache.py)."""
    return (
        select(User, OrgSettings.security_stamp)
        .join(ApiToken, ApiToken.user_id == User.id)
        .join(OrgSettings, OrgSettings.id == 1)
        .where(
            ApiToken.token_hash == token_digest(token),
            ApiToken.revoked_on.is_(None),
            User.is_active.is_(True),
        )
    )


def email_lookup(email: str) -> Select[Any]:
    """Signing in with an identity provider's token (R-AUTH-1): the active user with this
    email, and the security stamp, in one statement."""
    return (
        select(User, OrgSettings.security_stamp)
        .join(OrgSettings, OrgSettings.id == 1)
        .where(func.lower(User.email) == email.strip().lower(), User.is_active.is_(True))
    )


async def viewer_for_token(session: AsyncSession, token: str) -> Viewer | None:
    row = (await session.execute(token_lookup(token))).first()
    if row is None:
        return None
    return await viewer_for(session, row[0], row[1])


async def viewers_for_tokens(session: AsyncSession, tokens: Sequence[str]) -> dict[str, Viewer]:
    """Many tokens' viewers in one statement: a live fan-out re-authenticates every
    subscriber of an event at once instead of one statement per socket."""
    by_digest = {token_digest(token): token for token in tokens}
    rows = (await session.execute(
        select(ApiToken.token_hash, User, OrgSettings.security_stamp)
        .join(User, ApiToken.user_id == User.id)
        .join(OrgSettings, OrgSettings.id == 1)
        .where(ApiToken.token_hash.in_(list(by_digest)), ApiToken.revoked_on.is_(None),
               User.is_active.is_(True))
    )).all()
    return {by_digest[digest]: await viewer_for(session, user, stamp) for digest, user, stamp in rows}


async def viewer_for(session: AsyncSession, user: User, stamp: int) -> Viewer:
    """The viewer of a row `token_lookup` found; the scope is cached under the stamp."""
    key = (user.id, stamp)
    scope = _scope_cache.get(key)
    if scope is None:
        scope = await build_scope(session, user)
        if len(_scope_cache) > 10_000:
            _scope_cache.clear()
        _scope_cache[key] = scope
    return Viewer(user, scope)


def known_scope(user_id: uuid.UUID, stamp: int) -> Scope | None:
    """The scope this process built for the user under this security stamp, if any
    (the compiled read path authenticates with one statement and needs no more)."""
    return _scope_cache.get((user_id, stamp))


async def build_scope(session: AsyncSession, user: User) -> Scope:
    privileges = (
        await session.execute(
            select(Role.name, RolePrivilege.record_type, RolePrivilege.action, RolePrivilege.depth)
            .join(UserRole, UserRole.role_id == Role.id)
            .outerjoin(RolePrivilege, RolePrivilege.role_id == Role.id)
            .where(UserRole.user_id == user.id)
        )
    ).all()
    # The viewer's teams, each with its own roles' privileges (none: one row of NULLs).
    team_rows = (
        await session.execute(
            select(Team.id, Team.business_unit_id, TeamRole.role_id, RolePrivilege.record_type,
                   RolePrivilege.action, RolePrivilege.depth)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .outerjoin(TeamRole, TeamRole.team_id == Team.id)
            .outerjoin(RolePrivilege, RolePrivilege.role_id == TeamRole.role_id)
            .where(TeamMember.user_id == user.id)
        )
    ).all()
    units = (await session.execute(select(BusinessUnit.id, BusinessUnit.parent_id))).all()
    tree = {u: p for u, p in units}
    by_role: dict[str, dict[tuple[str, str], Depth]] = {}
    for name, record_type, action, depth in privileges:
        grants = by_role.setdefault(name, {})
        if record_type is not None:
            grants[(record_type, action)] = Depth[depth]
    team_units: dict[uuid.UUID, uuid.UUID] = {}
    team_roles: dict[uuid.UUID, dict[uuid.UUID, dict[tuple[str, str], Depth]]] = {}
    for team_id, unit_id, role_id, record_type, action, depth in team_rows:
        team_units[team_id] = unit_id
        roles = team_roles.setdefault(team_id, {})
        if role_id is not None and record_type is not None:
            roles.setdefault(role_id, {})[(record_type, action)] = Depth[depth]
    return Scope(
        user_id=user.id,
        business_unit_id=user.business_unit_id,
        team_ids=frozenset(team_units),
        deep_unit_ids=descendants(user.business_unit_id, tree),
        privileges=merge_privileges(by_role.values()),
        role_names=frozenset(by_role),
        team_grants=tuple(
            TeamGrant(team_id, team_units[team_id], descendants(team_units[team_id], tree),
                      merge_privileges(roles.values()))
            for team_id, roles in sorted(team_roles.items()) if roles
        ),
    )


async def principals_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Principal]:
    rows = await session.scalars(select(Principal).where(Principal.id.in_(ids)))
    return {p.id: p for p in rows}

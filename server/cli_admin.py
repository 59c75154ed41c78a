"""`relate user|unit|team|role …`: the administration mutations for scripts (SPEC §11).

Each command runs the same graph command as its GraphQL mutation, as an administrator:
`--as EMAIL`, or else the longest-serving active system administrator. Names stand for ids
(units, teams and roles by name, users by email), so a script needs no id.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import BusinessUnit, Role, Team, User, UserRole, utcnow
from graph.queries.principals import build_scope
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.users import SYSTEM_ADMINISTRATOR

user_app = typer.Typer(help="People: create, deactivate, activate (R-ADM-2).", no_args_is_help=True)
unit_app = typer.Typer(help="Business units (R-ADM-3).", no_args_is_help=True)
team_app = typer.Typer(help="Teams and their members (R-ADM-4).", no_args_is_help=True)
role_app = typer.Typer(help="Security roles: copy, assign, remove (R-ADM-5).", no_args_is_help=True)
AS = typer.Option(None, "--as", help="Email of the administrator acting (default: the first one).")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(unit_app, name="unit")
    app.add_typer(team_app, name="team")
    app.add_typer(role_app, name="role")


def _run(work: Any) -> Any:
    from server.cli import _with_session

    return _with_session(work)


async def _admin(session: AsyncSession, email: str | None) -> Scope:
    query = select(User).join(UserRole, UserRole.user_id == User.id).join(Role, Role.id == UserRole.role_id).where(
        Role.name == SYSTEM_ADMINISTRATOR, User.is_active.is_(True))
    if email:
        query = query.where(func.lower(User.email) == email.strip().lower())
    user = await session.scalar(query.order_by(User.created_on, User.id).limit(1))
    if user is None:
        raise DomainError(ErrorCode.FORBIDDEN, "no such active administrator: run `relate admin create` first")
    return await build_scope(session, user)


async def _named(session: AsyncSession, model: Any, name: str, what: str) -> uuid.UUID:
    column = func.lower(model.email) if model is User else model.name
    found = await session.scalar(select(model.id).where(column == (name.strip().lower() if model is User else name)))
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no {what} named {name!r}")
    return found  # type: ignore[no-any-return]


@user_app.command("create")
def user_create(email: str, name: str = typer.Option(..., "--name"), unit: str = typer.Option(..., "--unit"),
                role: list[str] = typer.Option([], "--role", help="A role name; repeat for more."),
                time_zone: str = typer.Option("UTC", "--time-zone"), as_: str = AS) -> None:
    """Add a person; prints their id."""
    from graph.commands.users import UserDetails, create_user

    async def work(session: AsyncSession) -> str:
        scope = await _admin(session, as_)
        details = UserDetails(email=email, full_name=name, time_zone=time_zone,
                              business_unit_id=await _named(session, BusinessUnit, unit, "business unit"),
                              role_ids=[await _named(session, Role, r, "role") for r in role])
        return str((await create_user(session, scope, details, utcnow())).id)

    sys.stdout.write(_run(work) + "\n")


def _set_active(email: str, active: bool, as_: str | None) -> None:
    from graph.commands.users import set_user_active

    async def work(session: AsyncSession) -> None:
        scope = await _admin(session, as_)
        await set_user_active(session, scope, await _named(session, User, email, "user"), active, utcnow())

    _run(work)


@user_app.command("deactivate")
def user_deactivate(email: str, as_: str = AS) -> None:
    """Their tokens and open sessions stop at once; their history stays."""
    _set_active(email, False, as_)


@user_app.command("activate")
def user_activate(email: str, as_: str = AS) -> None:
    _set_active(email, True, as_)


@unit_app.command("create")
def unit_create(name: str, parent: str = typer.Option(..., "--parent", help="Name of the unit above."),
                as_: str = AS) -> None:
    """Add a business unit under another; prints its id."""
    from graph.commands.units import create_unit

    async def work(session: AsyncSession) -> str:
        scope = await _admin(session, as_)
        parent_id = await _named(session, BusinessUnit, parent, "business unit")
        return str((await create_unit(session, scope, name, parent_id, utcnow())).id)

    sys.stdout.write(_run(work) + "\n")


@team_app.command("create")
def team_create(name: str, unit: str = typer.Option(..., "--unit"),
                member: list[str] = typer.Option([], "--member", help="A member's email; repeat for more."),
                as_: str = AS) -> None:
    """Add a team with its members; prints its id."""
    from graph.commands.teams import create_team

    async def work(session: AsyncSession) -> str:
        scope = await _admin(session, as_)
        unit_id = await _named(session, BusinessUnit, unit, "business unit")
        members = [await _named(session, User, m, "user") for m in member]
        return str((await create_team(session, scope, name, unit_id, members, utcnow())).id)

    sys.stdout.write(_run(work) + "\n")


@role_app.command("copy")
def role_copy(source: str, name: str, as_: str = AS) -> None:
    """A custom role with the privileges of SOURCE; prints its id."""
    from graph.commands.roles import copy_role

    async def work(session: AsyncSession) -> str:
        scope = await _admin(session, as_)
        return str((await copy_role(session, scope, await _named(session, Role, source, "role"), name)).id)

    sys.stdout.write(_run(work) + "\n")


def _roles(holder: str, role: str, as_: str | None, give: bool) -> None:
    from graph.commands.roles import assign_roles, remove_roles

    async def work(session: AsyncSession) -> None:
        scope = await _admin(session, as_)
        principal = (("user", await _named(session, User, holder, "user")) if "@" in holder
                     else ("team", await _named(session, Team, holder, "team")))
        role_id = await _named(session, Role, role, "role")
        await (assign_roles if give else remove_roles)(session, scope, principal, [role_id])

    _run(work)


@role_app.command("assign")
def role_assign(holder: str = typer.Argument(..., help="A user's email or a team's name."), role: str = typer.Argument(...),
                as_: str = AS) -> None:
    _roles(holder, role, as_, True)


@role_app.command("remove")
def role_remove(holder: str = typer.Argument(..., help="A user's email or a team's name."), role: str = typer.Argument(...),
                as_: str = AS) -> None:
    """Never the last active system administrator's role."""
    _roles(holder, role, as_, False)

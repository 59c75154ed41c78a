"""Root operations for users and roles (R-ADM-2): reading the directory, administering people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import reassign
from graph.commands import users as commands
from graph.queries import users as queries
from graph.queries.paging import fetch_page, position
from graph.rules.access import Scope
from graph.rules.records import check_filter_text
from graph.rules.users import Period
from resolvers.context import Info
from resolvers.ids import decode_id, decode_ids
from resolvers.inputs import decode_optional
from resolvers.mutation_runner import run_mutation
from resolvers.nodes import register_node_type
from resolvers.pagination import encode_cursor, page_request
from schema.inputs.users import (
    ActivateUserInput,
    CreateUserInput,
    DeactivateUserInput,
    ReassignRecordsInput,
    UpdateUserInput,
    UserFilter,
    WorkingPeriodInput,
)
from schema.payloads.users import ReassignRecordsPayload, UserPayload
from schema.types.connection import Connection, Edge
from resolvers.connections import counted_connection
from schema.types.principals import Role, User

USER = {"User"}
UNIT = {"BusinessUnit"}
ROLE = {"Role"}


async def users(info: Info, filter: UserFilter | None = None, first: int | None = None, after: str | None = None,
                last: int | None = None, before: str | None = None) -> Connection[User]:
    """Everyone in the organisation, by name: signed-in users pick owners and attendees from it."""
    info.context.scope  # noqa: B018 - authenticated first
    f = filter or UserFilter()
    check_filter_text({"text": f.text}, ("filter",))
    flt = queries.UserFilter(
        text=f.text, is_active=f.is_active,
        business_unit_id=decode_optional(f.business_unit_id, UNIT, ("filter", "businessUnitId")),
        role_id=decode_optional(f.role_id, ROLE, ("filter", "roleId")),
        team_id=decode_optional(f.team_id, {"Team"}, ("filter", "teamId")),
    )
    keys = queries.USER_KEYS
    request = page_request(keys, first, after, last, before)
    query = queries.users_query(flt)
    db = info.context.db
    async with db.read() as session:
        page = await fetch_page(session, query, keys, request)
    edges = [Edge(cursor=encode_cursor(keys, position(r, keys)), node=User.from_row(r)) for r in page.rows]

    return counted_connection(edges, page, db, query)


async def roles(info: Info) -> list[Role]:
    info.context.scope  # noqa: B018 - authenticated first
    async with info.context.db.read() as session:
        return [Role.from_row(r) for r in await queries.roles(session)]


def _periods(given: Sequence[WorkingPeriodInput] | None) -> list[Period] | None:
    return None if given is None else [Period(p.day.value, p.start.strip(), p.end.strip()) for p in given]


async def create_user(info: Info, input: CreateUserInput) -> UserPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        details = commands.UserDetails(
            email=input.email, full_name=input.full_name,
            business_unit_id=decode_id(input.business_unit_id, UNIT, ("input", "businessUnitId")),
            business_phone=input.business_phone, mobile_phone=input.mobile_phone, time_zone=input.time_zone,
            working_hours=_periods(input.working_hours),
            role_ids=decode_ids(input.role_ids, ROLE, ("input", "roleIds")),
        )
        return {"user": User.from_row(await commands.create_user(session, scope, details, now))}
    return await run_mutation(info, UserPayload, work)


async def update_user(info: Info, input: UpdateUserInput) -> UserPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        details = commands.UserDetails(
            email=input.email, full_name=input.full_name,
            business_unit_id=decode_optional(input.business_unit_id, UNIT, ("input", "businessUnitId")),
            business_phone=input.business_phone, mobile_phone=input.mobile_phone, time_zone=input.time_zone,
            working_hours=_periods(input.working_hours),
            role_ids=None if input.role_ids is None else decode_ids(input.role_ids, ROLE, ("input", "roleIds")),
        )
        user_id = decode_id(input.id, USER, ("input", "id"))
        return {"user": User.from_row(await commands.update_user(session, scope, user_id, details, now))}
    return await run_mutation(info, UserPayload, work)


async def deactivate_user(info: Info, input: DeactivateUserInput) -> UserPayload:
    return await _set_active(info, input.id, False)


async def activate_user(info: Info, input: ActivateUserInput) -> UserPayload:
    return await _set_active(info, input.id, True)


async def _set_active(info: Info, global_id: str, active: bool) -> UserPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        user_id = decode_id(global_id, USER, ("input", "id"))
        return {"user": User.from_row(await commands.set_user_active(session, scope, user_id, active, now))}
    return await run_mutation(info, UserPayload, work)


async def reassign_records(info: Info, input: ReassignRecordsInput) -> ReassignRecordsPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        from_id = decode_id(input.from_user_id, USER, ("input", "fromUserId"))
        to_id = decode_id(input.to_owner_id, {"User", "Team"}, ("input", "toOwnerId"))
        moved = await reassign.reassign_records(session, scope, from_id, to_id, now)
        by_type = {"ACCOUNT": "accounts", "CONTACT": "contacts", "LEAD": "leads",
                   "OPPORTUNITY": "opportunities", "CASE": "cases"}
        return {**{by_type[t]: n for t, n in moved.records.items()}, "activities": moved.activities}
    return await run_mutation(info, ReassignRecordsPayload, work)


async def _role_node(info: Info, raw_id: Any) -> Role | None:
    async with info.context.db.read() as session:
        found = await queries.roles_by_id(session, [raw_id])
    return Role.from_row(found[raw_id]) if raw_id in found else None


register_node_type("Role", _role_node)

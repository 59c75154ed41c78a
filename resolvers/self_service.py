"""Root operations for a signed-in user's own profile and tokens (R-AUTH-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import self_service as commands
from graph.rules.access import Scope
from graph.rules.users import Period
from resolvers.context import Info
from resolvers.ids import decode_id
from resolvers.mutation_runner import run_mutation
from schema.inputs.self_service import CreateMyTokenInput, RevokeMyTokenInput, UpdateMyProfileInput
from schema.payloads.self_service import CreateMyTokenPayload, MyProfilePayload, RevokeMyTokenPayload
from schema.types.principals import User
from schema.types.tokens import ApiToken


async def my_tokens(info: Info) -> list[ApiToken]:
    scope = info.context.scope
    async with info.context.db.read() as session:
        return [ApiToken.from_row(t) for t in await commands.my_tokens(session, scope)]


async def update_my_profile(info: Info, input: UpdateMyProfileInput) -> MyProfilePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        hours = None if input.working_hours is None else [
            Period(p.day.value, p.start.strip(), p.end.strip()) for p in input.working_hours]
        user = await commands.update_my_profile(session, scope, business_phone=input.business_phone,
                                                mobile_phone=input.mobile_phone, time_zone=input.time_zone,
                                                working_hours=hours)
        return {"user": User.from_row(user)}
    return await run_mutation(info, MyProfilePayload, work)


async def create_my_token(info: Info, input: CreateMyTokenInput) -> CreateMyTokenPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        row, secret = await commands.create_my_token(session, scope, input.label, now)
        return {"token": ApiToken.from_row(row), "secret": secret}
    return await run_mutation(info, CreateMyTokenPayload, work)


async def revoke_my_token(info: Info, input: RevokeMyTokenInput) -> RevokeMyTokenPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        await commands.revoke_my_token(session, scope, decode_id(input.id, {"ApiToken"}, ("input", "id")), now)
        return {"revoked_id": input.id}
    return await run_mutation(info, RevokeMyTokenPayload, work)

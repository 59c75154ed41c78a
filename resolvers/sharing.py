"""Root operations for sharing one record (R-ADM-6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from graph import models
from graph.commands import sharing as commands
from graph.queries.sharing import RIGHTS
from graph.rules.access import Scope
from resolvers.context import Info
from resolvers.ids import decode_id
from resolvers.inputs import decode_principal
from resolvers.mutation_runner import run_mutation
from schema.inputs.sharing import ShareRecordInput, UnshareRecordInput
from schema.payloads.sharing import ShareRecordPayload, UnshareRecordPayload
from schema.types.principals import principal_node
from schema.types.records import GRAPHQL_NAMES
from schema.types.sharing import AccessRight, RecordGrant

RECORD = set(GRAPHQL_NAMES.values())


def _grant(row: models.RecordGrant, holder: models.Principal) -> RecordGrant:
    rights = [AccessRight(r) for r in RIGHTS if getattr(row, f"can_{r}")]
    return RecordGrant(principal=principal_node(holder), rights=rights, granted_on=row.granted_on)



async def record_access(info: Info, record_id: strawberry.ID) -> list[RecordGrant]:
    scope = info.context.scope
    raw = decode_id(record_id, RECORD, ("recordId",))
    async with info.context.db.read() as session:
        return [_grant(g, p) for g, p in await commands.record_grants(session, scope, raw)]


async def share_record(info: Info, input: ShareRecordInput) -> ShareRecordPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record = decode_id(input.record_id, RECORD, ("input", "recordId"))
        principal = decode_principal(input.principal_id, ("input", "principalId"))
        grant = await commands.share_record(session, scope, record, principal, [r.value for r in input.rights], now)
        holder = await session.get(models.Principal, grant.principal_id)
        assert holder is not None
        return {"grant": _grant(grant, holder)}
    return await run_mutation(info, ShareRecordPayload, work)


async def unshare_record(info: Info, input: UnshareRecordInput) -> UnshareRecordPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record = decode_id(input.record_id, RECORD, ("input", "recordId"))
        principal = decode_principal(input.principal_id, ("input", "principalId"))
        await commands.unshare_record(session, scope, record, principal, now)
        return {"record_id": input.record_id}
    return await run_mutation(info, UnshareRecordPayload, work)

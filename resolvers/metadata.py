"""Root operations for record types' display names (R-REC-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import metadata as commands
from graph.queries import metadata as queries
from graph.rules.access import Scope
from resolvers.context import Info
from resolvers.mutation_runner import run_mutation
from schema.inputs.metadata import RenameRecordTypeInput
from schema.payloads.metadata import RenameRecordTypePayload
from schema.types.metadata import RecordTypeInfo


async def record_types(info: Info) -> list[RecordTypeInfo]:
    info.context.scope  # authenticate: names are for signed-in clients
    async with info.context.db.read() as session:
        found = await queries.record_types(session)
    return [RecordTypeInfo.from_names(n) for n in found]


async def rename_record_type(info: Info, input: RenameRecordTypeInput) -> RenameRecordTypePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        names = await commands.rename_record_type(session, scope, input.record_type.value, input.singular,
                                                  input.plural, now)
        return {"record_type": RecordTypeInfo.from_names(names)}
    return await run_mutation(info, RenameRecordTypePayload, work)

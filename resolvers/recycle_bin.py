"""Root operations of the recycle bin (R-QRY-4: delete, restore, list what was deleted) and merge (R-QRY-3)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import merge as merging
from graph.commands import recycle_bin as commands
from graph.models import utcnow
from graph.queries import recycle_bin as queries
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.ids import decode_id
from resolvers.mutation_runner import run_mutation
from schema.errors import UserError
from schema.inputs import recycle_bin as inputs
from schema.payloads import recycle_bin as payloads
from schema.types.activities import ACTIVITY_TYPE_NAMES
from schema.types.recycle_bin import DeletedItem
from schema.types.records import GRAPHQL_NAMES as RECORD_NAMES
from schema.types.records import record_node

RECORD_TYPE_NAMES = frozenset(RECORD_NAMES.values())
MERGEABLE_NAMES = frozenset(RECORD_NAMES[t] for t in merging.MERGEABLE)
Command = Callable[[AsyncSession, Scope, list[uuid.UUID], datetime], Awaitable[list[commands.Outcome]]]


async def _each(info: Info, ids: list[str], types: Collection[str], command: Command) -> payloads.RecycleBinPayload:
    """Decode each id on its own (a bad one fails only itself), run the command on the rest."""
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        if not ids:
            raise DomainError(ErrorCode.VALIDATION, "give at least one id", ("input", "ids"))
        decoded: dict[str, uuid.UUID | DomainError] = {}
        for index, given in enumerate(dict.fromkeys(ids)):
            try:
                decoded[given] = decode_id(given, types, ("input", "ids", str(index)))
            except DomainError as error:
                decoded[given] = error
        valid = [v for v in decoded.values() if isinstance(v, uuid.UUID)]
        outcomes = {o.item_id: o for o in await command(session, scope, valid, now)}
        results = []
        for index, (given, value) in enumerate(decoded.items()):
            if isinstance(value, DomainError):
                results.append(payloads.RecycleResult(id=given, ok=False,  # type: ignore[arg-type]
                                                      error=UserError.from_problem(value.problems[0])))
                continue
            problem = outcomes[value].problem
            error = None if problem is None else UserError(
                code=problem.code, message=problem.message, field=["input", "ids", str(index)])  # type: ignore[arg-type]
            results.append(payloads.RecycleResult(id=given, ok=error is None, error=error))  # type: ignore[arg-type]
        return {"results": results}
    return await run_mutation(info, payloads.RecycleBinPayload, work)


async def delete_records(info: Info, input: inputs.DeleteRecordsInput) -> payloads.RecycleBinPayload:
    return await _each(info, list(input.ids), RECORD_TYPE_NAMES, commands.delete_records)


async def delete_activities(info: Info, input: inputs.DeleteActivitiesInput) -> payloads.RecycleBinPayload:
    return await _each(info, list(input.ids), ACTIVITY_TYPE_NAMES, commands.delete_activities)


async def restore(info: Info, input: inputs.RestoreInput) -> payloads.RecycleBinPayload:
    return await _each(info, list(input.ids), RECORD_TYPE_NAMES | ACTIVITY_TYPE_NAMES, commands.restore)


async def deleted_items(info: Info, first: int = 100) -> list[DeletedItem]:
    """What you may read of what was deleted within the kept period, latest first (at most 500)."""
    since = utcnow() - timedelta(days=info.context.settings.recycle_bin_days)
    async with info.context.db.read() as session:
        rows = await queries.deleted_items(session, info.context.scope, since, min(max(first, 1), 500))
    return [DeletedItem.from_row(r) for r in rows]


async def merge_records(info: Info, input: inputs.MergeRecordsInput) -> payloads.MergeRecordsPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        survivor = decode_id(input.survivor_id, MERGEABLE_NAMES, ("input", "survivorId"))
        other = decode_id(input.other_id, MERGEABLE_NAMES, ("input", "otherId"))
        row = await merging.merge_records(session, scope, survivor, other, list(input.field_choices), now)
        return {"record": record_node(row)}
    return await run_mutation(info, payloads.MergeRecordsPayload, work)

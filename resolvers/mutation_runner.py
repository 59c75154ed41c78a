"""The single place a `DomainError` becomes payload `errors` (DESIGN §3).

One unit of work around one command: either everything commits, or the payload carries
the errors and nothing was written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import utcnow
from graph.rules.access import Scope
from graph.rules.errors import DomainError
from resolvers.context import Info
from schema.errors import UserError

P = TypeVar("P")

Work = Callable[[AsyncSession, Scope, datetime], Awaitable[dict[str, Any]]]
Precheck = Callable[[Scope], Awaitable[None]]


async def run_mutation(info: Info, payload: Callable[..., P], work: Work, *, before: Precheck | None = None) -> P:
    """`before` runs ahead of the transaction: checks that wait on the outside world (a DNS
    look-up) must not hold a write transaction — on SQLite, every other writer — meanwhile."""
    ctx = info.context
    scope = ctx.scope
    try:
        if before is not None:
            await before(scope)
        async with ctx.db.unit_of_work() as session:
            fields = await work(session, scope, utcnow())
    except DomainError as error:
        return payload(errors=[UserError.from_problem(p) for p in error.problems])
    for hook in ctx.after_commit:
        await hook()
    return payload(errors=[], **fields)

"""Lookups every command needs: rows to change, owners to assign, idempotent replays."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import IdempotencyKey, Principal, Record
from graph.queries.metadata import type_label
from graph.queries.sharing import granted
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found
from graph.rules import records as record_rules
from graph.rules import sales as sales_rules
from graph.rules.records import check_client_mutation_id

R = TypeVar("R", bound=Record)


def secured_type(record_type: str) -> str:
    return record_type.lower()


async def require_active(session: AsyncSession, record: Record, field: Sequence[str] | None = None) -> None:
    """R-REC-2 (`records.require_active`), the record's type named as the organisation
    calls it now (R-REC-3); the display names are read only when refusing."""
    if not record.is_active:
        record_rules.require_active(record, await type_label(session, record.type), field)


async def require_writable(session: AsyncSession, record: Record, field: Sequence[str] | None = None) -> None:
    """R-REC-2 for leads, opportunities and cases (`sales.require_writable`), named as `require_active` does."""
    if not sales_rules.is_open(record.type, record.state):
        sales_rules.require_writable(record, field, what=await type_label(session, record.type))


async def record_for(
    session: AsyncSession, scope: Scope, cls: type[R], record_id: uuid.UUID, action: str,
    field: tuple[str, ...] = ("input", "id"),
) -> R:
    """The row locked for change, after checking the viewer may `action` it."""
    row = await session.get(cls, record_id, with_for_update=True)
    label = cls.__name__.lower()
    if row is None or row.deleted_on is not None:  # in the recycle bin: gone until restored
        raise not_found(label, field)
    await require_on_record(session, scope, row, action, label, field)
    return row


async def require_on_record(
    session: AsyncSession, scope: Scope, row: Record, action: str, what: str,
    field: Sequence[str] | None = None,
) -> None:
    """`Scope.require` for a record, where a grant on this one record counts as much as the
    viewer's roles (R-ADM-6): NOT_FOUND unless they read it by either, FORBIDDEN unless either
    allows `action`. A shared record must not read as missing to the mutation that acts on it."""
    secured = secured_type(row.type)
    if scope.can("read", secured, row) and scope.can(action, secured, row):
        return
    if not (scope.can("read", secured, row) or await granted(session, scope, row.id, "read")):
        raise not_found(what, field)
    if not (scope.can(action, secured, row) or await granted(session, scope, row.id, action)):
        raise DomainError(ErrorCode.FORBIDDEN, f"you may not {action.replace('_', ' ')} this {what}", field)


async def any_record(session: AsyncSession, scope: Scope, record_id: uuid.UUID, field: tuple[str, ...]) -> Record:
    """A record of any type the viewer may read (by role or grant), else NOT_FOUND (no existence hint)."""
    row = await session.get(Record, record_id)
    if row is None or row.deleted_on is not None or not (scope.can("read", secured_type(row.type), row)
                           or await granted(session, scope, row.id, "read")):
        raise not_found("record", field)
    return row


async def owner_for(
    session: AsyncSession, scope: Scope, owner_id: uuid.UUID | None, secured: str, action: str,
    field: tuple[str, ...] = ("input", "ownerId"),
) -> Principal:
    """The principal to own a new or reassigned row; the viewer must be allowed to give it."""
    principal = await session.get(Principal, owner_id or scope.user_id)
    if principal is None:
        raise not_found("owner", field)
    if not principal.is_active:
        raise DomainError(ErrorCode.DEACTIVATED, f"{principal.name} is deactivated and cannot own records", field)
    if not scope.can_own(action, secured, principal.id, principal.business_unit_id):
        raise DomainError(ErrorCode.FORBIDDEN, f"you may not give {secured} records to {principal.name}", field)
    return principal


async def assignee(
    session: AsyncSession, owner_id: uuid.UUID, field: tuple[str, ...] = ("input", "ownerId"),
) -> Principal:
    """Who receives an assigned record or activity: any active user or team.

    The assign depth limits which rows the viewer may hand over (checked on each row), not
    to whom: a seller gives their own account or call to a colleague in another unit, as in
    the products SPEC §1 follows. One rule for records and activities alike.
    """
    principal = await session.get(Principal, owner_id)
    if principal is None:
        raise not_found("owner", field)
    if not principal.is_active:
        raise DomainError(ErrorCode.DEACTIVATED, f"{principal.name} is deactivated and cannot own records", field)
    return principal


async def replayed(session: AsyncSession, actor_id: uuid.UUID, operation: str, client_mutation_id: str | None) -> uuid.UUID | None:
    """R-API-2: the id created by an earlier call with the same clientMutationId, if any.

    A retry often arrives while the first call is still running. On PostgreSQL the key is
    locked for the rest of the transaction, so the retry waits for the first call to commit
    and then finds its result (instead of both inserting the key and one failing). SQLite
    write transactions are serial already (BEGIN IMMEDIATE).
    """
    if not client_mutation_id:
        return None
    check_client_mutation_id(client_mutation_id)  # before it is used as a key or a lock name
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"idempotency:{actor_id}:{operation}:{client_mutation_id}"},
        )
    return await session.scalar(
        select(IdempotencyKey.result_id).where(
            IdempotencyKey.actor_id == actor_id,
            IdempotencyKey.operation == operation,
            IdempotencyKey.client_mutation_id == client_mutation_id,
        )
    )


def remember(session: AsyncSession, actor_id: uuid.UUID, operation: str, client_mutation_id: str | None, result_id: uuid.UUID, now: datetime) -> None:
    if client_mutation_id:
        session.add(IdempotencyKey(
            actor_id=actor_id, operation=operation, client_mutation_id=client_mutation_id,
            result_id=result_id, created_on=now,
        ))

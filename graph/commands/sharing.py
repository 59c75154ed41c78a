"""Sharing one record (R-ADM-6, Dataverse GrantAccess / RevokeAccess).

Who may share: whoever may assign the record by their roles, or holds a grant with the
share right on it. A grant always includes read. Each change publishes an event on the
record's and its timeline's topics, so open subscriptions re-check at once (a revoke
ends them with a typed error) and cached responses are not served past it.
Nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import audit
from graph.commands.common import secured_type
from graph.commands.outbox import publish
from graph.events import RecordAccessChanged
from graph.models import Principal, Record, RecordGrant
from graph.queries.sharing import RIGHTS, granted
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found


async def share_record(session: AsyncSession, scope: Scope, record_id: uuid.UUID,
                       principal: tuple[str, uuid.UUID], rights: Collection[str], now: datetime) -> RecordGrant:
    """Grant (or replace) `principal`'s rights on the record."""
    record = await _shareable(session, scope, record_id)
    grantee = await _grantee(session, principal)
    unknown = set(rights) - set(RIGHTS)
    if unknown:
        raise DomainError(ErrorCode.VALIDATION, f"unknown rights {sorted(unknown)}", ["input", "rights"])
    wanted = {"read", *rights}
    grant = await session.get(RecordGrant, (record.id, grantee.id))
    if grant is None:
        grant = RecordGrant(record_id=record.id, principal_id=grantee.id, granted_on=now, granted_by_id=scope.user_id)
        session.add(grant)
    for right in RIGHTS:
        setattr(grant, f"can_{right}", right in wanted)
    grant.granted_on, grant.granted_by_id = now, scope.user_id
    await session.flush()
    audit.note_change(session.sync_session, "RECORD", record.type, record.id, [
        {"field": "sharedWith", "old": None, "new": {"principalId": str(grantee.id), "rights": sorted(wanted)}}],
        scope.user_id, now)
    await publish(session, [RecordAccessChanged(record.id, record.type, grantee.id, "SHARED")], scope.user_id, now)
    return grant


async def unshare_record(session: AsyncSession, scope: Scope, record_id: uuid.UUID,
                         principal: tuple[str, uuid.UUID], now: datetime) -> Record:
    record = await _shareable(session, scope, record_id)
    grantee = await _grantee(session, principal, active_only=False)
    removed = await session.execute(delete(RecordGrant).where(
        RecordGrant.record_id == record.id, RecordGrant.principal_id == grantee.id))
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise DomainError(ErrorCode.NOT_FOUND, f"the record is not shared with {grantee.name}", ["input", "principalId"])
    audit.note_change(session.sync_session, "RECORD", record.type, record.id, [
        {"field": "sharedWith", "old": {"principalId": str(grantee.id)}, "new": None}], scope.user_id, now)
    await publish(session, [RecordAccessChanged(record.id, record.type, grantee.id, "UNSHARED")], scope.user_id, now)
    return record


async def record_grants(session: AsyncSession, scope: Scope, record_id: uuid.UUID) -> list[tuple[RecordGrant, Principal]]:
    """Who the record is shared with; for those who may read the record."""
    record = await session.get(Record, record_id)
    if record is None or not (scope.can("read", secured_type(record.type), record)
                              or await granted(session, scope, record.id, "read")):
        raise not_found("record", ["recordId"])
    rows = await session.execute(
        select(RecordGrant, Principal).join(Principal, Principal.id == RecordGrant.principal_id)
        .where(RecordGrant.record_id == record.id).order_by(Principal.name, Principal.id)
    )
    return [(g, p) for g, p in rows]


async def _shareable(session: AsyncSession, scope: Scope, record_id: uuid.UUID) -> Record:
    record = await session.get(Record, record_id)
    field = ("input", "recordId")
    secured = secured_type(record.type) if record is not None else ""
    if record is None or not (scope.can("read", secured, record) or await granted(session, scope, record.id, "read")):
        raise not_found("record", field)
    if not (scope.can("assign", secured, record) or await granted(session, scope, record.id, "share")):
        raise DomainError(ErrorCode.FORBIDDEN, "you may not share this record", field)
    return record


async def _grantee(session: AsyncSession, principal: tuple[str, uuid.UUID], *, active_only: bool = True) -> Principal:
    kind, principal_id = principal
    found = await session.get(Principal, principal_id)
    if found is None or found.kind != kind:
        raise not_found(kind, ["input", "principalId"])
    if active_only and not found.is_active:
        raise DomainError(ErrorCode.DEACTIVATED, f"{found.name} is deactivated", ["input", "principalId"])
    return found

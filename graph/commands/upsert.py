"""Upsert (R-QRY-5): a create that finds its record by an alternate key updates it instead.

The keys: EMAIL (contacts and leads, ignoring case), NAME_AND_PARENT (accounts: the name
as the duplicate rule compares it, under the same parent account) and EXTERNAL_ID (every
type; unique per type where set). A match updates the record with the values sent (a
null leaves a field as it is); no match creates it. Two or more matches are AMBIGUOUS:
nothing is guessed. The create and update passed in are the type's own, so every rule
and permission of those applies (writing a match needs the write right on it).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Record
from graph.queries.records import readable
from graph.rules.access import Scope
from graph.rules.duplicates import email_key, name_key
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import unusable_text

KEYS = {"EMAIL": ("CONTACT", "LEAD"), "NAME_AND_PARENT": ("ACCOUNT",),
        "EXTERNAL_ID": ("ACCOUNT", "CONTACT", "LEAD", "OPPORTUNITY", "CASE")}
MAX_EXTERNAL_ID = 200
UPSERT_BY = ("input", "upsertBy")
EXTERNAL_ID = ("input", "externalId")

Create = Callable[[dict[str, Any]], Awaitable[Record]]
Update = Callable[[uuid.UUID, dict[str, Any]], Awaitable[Record]]


def check_external_id(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    why = unusable_text(text, MAX_EXTERNAL_ID) or (None if text else "is empty")
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"externalId {why}", EXTERNAL_ID)
    return text


async def save(
    session: AsyncSession, scope: Scope, record_type: str, values: Mapping[str, Any], upsert_by: str | None,
    create: Create, update: Update,
) -> tuple[Record, bool]:
    """Create, or update the record `upsert_by` finds; returns the row and whether it is new."""
    values = dict(values)
    external_id = check_external_id(values.pop("external_id", None))
    if upsert_by is not None and record_type not in KEYS[upsert_by]:
        raise DomainError(ErrorCode.VALIDATION, f"a {record_type.lower()} cannot be upserted by {upsert_by}", UPSERT_BY)
    match = await find_match(session, scope, record_type, upsert_by, values, external_id) if upsert_by else None
    if external_id is not None:
        await _refuse_taken(session, record_type, external_id, match.id if match is not None else None)
    if match is None:
        row, created = await create(values), True
    else:
        row, created = await update(match.id, {k: v for k, v in values.items() if v is not None}), False
    if external_id is not None and row.external_id != external_id:
        row.external_id = external_id
        await session.flush()
    return row, created


async def find_match(session: AsyncSession, scope: Scope, record_type: str, upsert_by: str,
                     values: Mapping[str, Any], external_id: str | None) -> Record | None:
    """The one readable, live record the key names, None for none, AMBIGUOUS for several."""
    if upsert_by == "EXTERNAL_ID":
        if external_id is None:
            raise DomainError(ErrorCode.VALIDATION, "upsertBy EXTERNAL_ID needs an externalId", EXTERNAL_ID)
        row = await session.scalar(select(Record).where(Record.type == record_type, Record.external_id == external_id))
        if row is not None and not await _readable(session, scope, row):
            raise _taken(record_type, external_id)
        return row
    if upsert_by == "EMAIL":
        key = email_key(values.get("email"))
        if key is None:
            raise DomainError(ErrorCode.VALIDATION, "upsertBy EMAIL needs an email", ("input", "email"))
        condition = func.lower(Record.email) == key
    else:
        key = name_key(values.get("name"))
        if key is None:
            raise DomainError(ErrorCode.VALIDATION, "upsertBy NAME_AND_PARENT needs a name", ("input", "name"))
        parent = values.get("parent_account_id")
        condition = (Record.name_key == key) & (
            Record.parent_account_id == parent if parent is not None else Record.parent_account_id.is_(None))
    rows = list((await session.scalars(
        select(Record).where(readable(scope, record_type), condition).order_by(Record.created_on).limit(3)
    )).all())
    if len(rows) > 1:
        raise DomainError(ErrorCode.AMBIGUOUS, f"several {record_type.lower()}s match by {upsert_by}; "
                                               "update the one you mean by its id", UPSERT_BY)
    return rows[0] if rows else None


async def _readable(session: AsyncSession, scope: Scope, row: Record) -> bool:
    return bool(await session.scalar(select(Record.id).where(Record.id == row.id, readable(scope, row.type))))


async def _refuse_taken(session: AsyncSession, record_type: str, external_id: str, mine: uuid.UUID | None) -> None:
    """External ids are unique per type: refused as data, never left to the unique index."""
    holder = await session.scalar(select(Record.id).where(Record.type == record_type, Record.external_id == external_id))
    if holder is not None and holder != mine:
        raise _taken(record_type, external_id)


def _taken(record_type: str, external_id: str) -> DomainError:
    return DomainError(ErrorCode.DUPLICATE, f"another {record_type.lower()} (perhaps one in the recycle bin, or one "
                                            f"you cannot read) has the externalId '{external_id}'", EXTERNAL_ID)

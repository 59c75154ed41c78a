"""Finding likely duplicates (R-QRY-3): the built-in rules of `graph.rules.duplicates`, one
indexed look-up per rule, among the live records the viewer may read (a rule never reveals
a record the viewer cannot see).

- contacts and leads: the same email ignoring case (index on lower(email)), or the same
  phone digits in either number (indexes on (type, phone_key) and (type, mobile_key));
- accounts: the same name key under the same parent account (index on (type, name_key)).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Record
from graph.queries.records import readable
from graph.rules import duplicates as rules

MAX_MATCHES = 20


@dataclass(frozen=True)
class Match:
    record: Record
    reasons: tuple[str, ...]  # EMAIL, PHONE, NAME_AND_PARENT


def _conditions(record_type: str, values: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    keys = rules.keys_of(record_type, values)
    found: list[ColumnElement[bool]] = []
    if record_type in rules.PERSON_TYPES:
        email = rules.email_key(values.get("email"))
        if email:
            found.append(func.lower(Record.email) == email)
        for phone in {keys["phone_key"], keys["mobile_key"]} - {None}:
            found += [Record.phone_key == phone, Record.mobile_key == phone]
    if record_type == "ACCOUNT" and keys["name_key"]:
        parent = values.get("parent_account_id")
        found.append((Record.name_key == keys["name_key"]) & (
            Record.parent_account_id == parent if parent is not None else Record.parent_account_id.is_(None)))
    return found


async def likely_duplicates(session: AsyncSession, scope: Any, record_type: str, values: Mapping[str, Any],
                            exclude: uuid.UUID | None = None) -> list[Match]:
    """Readable live records of the type that the rules match with these values, oldest first."""
    conditions = _conditions(record_type, values)
    if not conditions:
        return []
    query = select(Record).where(readable(scope, record_type), or_(*conditions))
    if exclude is not None:
        query = query.where(Record.id != exclude)
    rows = (await session.scalars(query.order_by(Record.created_on, Record.id).limit(MAX_MATCHES))).all()
    mine = {**values, **rules.keys_of(record_type, values)}
    matches = []
    for row in rows:
        theirs = {"email": row.email, "phone_key": row.phone_key, "mobile_key": row.mobile_key,
                  "name_key": row.name_key, "parent_account_id": row.parent_account_id}
        reasons = rules.reasons(record_type, mine, theirs)
        if reasons:
            matches.append(Match(row, tuple(reasons)))
    return matches


def values_of(row: Record) -> dict[str, Any]:
    """The values the rules read, from a stored record."""
    return {"email": row.email, "phone": row.phone, "mobile_phone": row.mobile_phone, "name": row.name,
            "parent_account_id": row.parent_account_id}

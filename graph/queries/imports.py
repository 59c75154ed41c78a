"""Look-ups an import makes once per batch (R-IMP-1): existing records by email, accounts
by name and by id — only among the records the importer may read, so an import reveals
nothing about the others (a row matching an unreadable record is simply not a duplicate).

Text is compared case-insensitively. SQLite's `lower()` folds ASCII letters only, so each
wanted value is sent both fully lower-cased and with only its ASCII letters lower-cased,
and the final comparison is made here in Python on the values read back.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Record
from graph.rules.access import Scope

ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _spellings(values: Collection[str]) -> list[str]:
    return sorted({v.lower() for v in values} | {v.translate(ASCII_LOWER) for v in values})


@dataclass(frozen=True)
class AccountMatch:
    id: uuid.UUID
    name: str
    active: bool


async def existing_by_email(session: AsyncSession, scope: Scope, record_type: str,
                            emails: Collection[str]) -> dict[str, uuid.UUID]:
    """Lower-cased email → the oldest readable record of this type with it (inactive ones too).

    `emails` as written in the file (their case matters to SQLite, see above). Two steps,
    because there is no index on lower(email): the stored spellings that match, found by
    reading only the email index, then the records with exactly those spellings through
    that index. Type and readability are checked here rather than in SQL: given a type
    condition, SQLite's planner prefers the type index and reads every record of the type,
    which at 100,000 contacts costs a quarter of a second per batch.
    """
    if not emails:
        return {}
    spellings = (await session.scalars(
        select(Record.email).where(func.lower(Record.email).in_(_spellings(emails))).distinct()
    )).all()
    rows = await _rows(session, Record.email.in_(spellings)) if spellings else []
    found: dict[str, uuid.UUID] = {}
    for row in sorted(_readable(scope, record_type, rows), key=lambda r: (r.created_on, r.id)):
        found.setdefault(row.email.lower(), row.id)
    return {e.lower(): found[e.lower()] for e in emails if e.lower() in found}


async def accounts_named(session: AsyncSession, scope: Scope, names: Collection[str]) -> dict[str, list[AccountMatch]]:
    """Lower-cased name → every readable account of that name, active or not (`names` as written)."""
    if not names:
        return {}
    rows = await _rows(session, Record.type == "ACCOUNT", func.lower(Record.name).in_(_spellings(names)))
    found: dict[str, list[AccountMatch]] = {}
    for row in sorted(_readable(scope, "ACCOUNT", rows), key=lambda r: (r.created_on, r.id)):
        found.setdefault(row.name.lower(), []).append(AccountMatch(row.id, row.name, row.state == "ACTIVE"))
    return found


async def accounts_by_id(session: AsyncSession, scope: Scope, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, AccountMatch]:
    """The readable accounts among `ids` (an id of anything else is simply absent)."""
    if not ids:
        return {}
    rows = await _rows(session, Record.id.in_(list(ids)))
    return {r.id: AccountMatch(r.id, r.name, r.state == "ACTIVE") for r in _readable(scope, "ACCOUNT", rows)}


async def _rows(session: AsyncSession, *conditions: Any) -> Sequence[Any]:
    return (await session.execute(
        select(Record.id, Record.type, Record.name, Record.email, Record.state, Record.owner_id,
               Record.owning_business_unit_id, Record.created_on).where(*conditions)
    )).all()


def _readable(scope: Scope, record_type: str, rows: Sequence[Any]) -> list[Any]:
    """The rows of this type the importer may read (the same rule as `readable`, row by row)."""
    secured = record_type.lower()
    return [r for r in rows if r.type == record_type and scope.can("read", secured, r)]

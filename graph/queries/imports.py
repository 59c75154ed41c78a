"""Look-ups an import makes once per batch (R-IMP-1): existing records by email, accounts
by name and by id — only among the records the importer may read, so an import reveals
nothing about the others (a row matching an unreadable record is simply not a duplicate).

Each look-up takes a whole batch's values at once (see `_one_of`). Text is compared
case-insensitively. SQLite's `lower()` folds ASCII letters only, so each
wanted value is sent both fully lower-cased and with only its ASCII letters lower-cased,
and the final comparison is made here in Python on the values read back.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, Uuid, any_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

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

    `emails` as written in the file (their case matters to SQLite, see above). The index
    on lower(email) answers it. Type and readability are checked here rather than in SQL:
    given a type condition, SQLite's planner prefers the type index and reads every record
    of the type, which at 100,000 contacts costs a quarter of a second per batch.
    """
    if not emails:
        return {}
    rows = await _rows(session, _one_of(session, func.lower(Record.email), _spellings(emails), String()))
    found: dict[str, uuid.UUID] = {}
    for row in sorted(_readable(scope, record_type, rows), key=lambda r: (r.created_on, r.id)):
        found.setdefault(row.email.lower(), row.id)
    return {e.lower(): found[e.lower()] for e in emails if e.lower() in found}


async def accounts_named(session: AsyncSession, scope: Scope, names: Collection[str]) -> dict[str, list[AccountMatch]]:
    """Lower-cased name → every readable account of that name, active or not (`names` as written)."""
    if not names:
        return {}
    rows = await _rows(session, Record.type == "ACCOUNT",
                       _one_of(session, func.lower(Record.name), _spellings(names), String()))
    found: dict[str, list[AccountMatch]] = {}
    for row in sorted(_readable(scope, "ACCOUNT", rows), key=lambda r: (r.created_on, r.id)):
        found.setdefault(row.name.lower(), []).append(AccountMatch(row.id, row.name, row.state == "ACTIVE"))
    return found


async def accounts_by_id(session: AsyncSession, scope: Scope, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, AccountMatch]:
    """The readable accounts among `ids` (an id of anything else is simply absent)."""
    if not ids:
        return {}
    rows = await _rows(session, _one_of(session, Record.id, list(ids), Uuid()))
    return {r.id: AccountMatch(r.id, r.name, r.state == "ACTIVE") for r in _readable(scope, "ACCOUNT", rows)}


def _one_of(session: AsyncSession, expression: ColumnElement[Any], values: Sequence[Any],
            item_type: TypeEngine[Any]) -> ColumnElement[bool]:
    """`expression IN values`, for a batch's thousands of values, said the way each database
    plans well. On PostgreSQL it is one array parameter (`= ANY($1)`): a list of 2,000
    parameters, once its prepared statement gets a generic plan, was planned as a scan of
    every record comparing each with every value (2 s a batch at 30,000 records, before
    statistics exist); the array is an index scan. SQLite has no arrays, and plans a
    list as index look-ups."""
    if session.get_bind().dialect.name == "postgresql":
        return expression == any_(bindparam(None, list(values), type_=ARRAY(item_type)))
    return expression.in_(values)


async def _rows(session: AsyncSession, *conditions: Any) -> Sequence[Any]:
    return (await session.execute(
        select(Record.id, Record.type, Record.name, Record.email, Record.state, Record.owner_id,
               Record.owning_business_unit_id, Record.created_on).where(Record.deleted_on.is_(None), *conditions)
    )).all()


def _readable(scope: Scope, record_type: str, rows: Sequence[Any]) -> list[Any]:
    """The rows of this type the importer may read (the same rule as `readable`, row by row)."""
    secured = record_type.lower()
    return [r for r in rows if r.type == record_type and scope.can("read", secured, r)]


@dataclass(frozen=True)
class UpsertMatch:
    """An existing record an import row's upsert key finds, and whether the importer may write it."""

    id: uuid.UUID
    name: str
    writable: bool


async def upsert_matches(session: AsyncSession, scope: Scope, record_type: str, upsert_by: str,
                         keys: Collection[str]) -> dict[str, list[UpsertMatch]]:
    """Key → the readable, live records of this type it finds (R-QRY-5), oldest first.

    Keys are normalised as `graph.rules.duplicates` does: a lower-cased email, an account's
    name key (the parent is compared by the caller), or an external id as written."""
    if not keys:
        return {}
    column = {"EMAIL": func.lower(Record.email), "NAME_AND_PARENT": Record.name_key,
              "EXTERNAL_ID": Record.external_id}[upsert_by]
    wanted = _spellings(keys) if upsert_by == "EMAIL" else sorted(keys)
    rows = (await session.execute(
        select(Record.id, Record.type, Record.name, Record.email, Record.owner_id, Record.owning_business_unit_id,
               Record.created_on, Record.name_key, Record.external_id, Record.parent_account_id)
        .where(Record.deleted_on.is_(None), _one_of(session, column, wanted, String()))
    )).all()
    found: dict[str, list[UpsertMatch]] = {}
    secured = record_type.lower()
    for row in sorted(_readable(scope, record_type, rows), key=lambda r: (r.created_on, r.id)):
        key = {"EMAIL": (row.email or "").lower(), "NAME_AND_PARENT": f"{row.name_key}|{row.parent_account_id or ''}",
               "EXTERNAL_ID": row.external_id}[upsert_by]
        found.setdefault(key, []).append(UpsertMatch(row.id, row.name, scope.can("write", secured, row)))
    return found


async def external_ids_taken(session: AsyncSession, record_type: str, external_ids: Collection[str]) -> set[str]:
    """Which of these external ids a record of the type already has (any record: they are unique)."""
    if not external_ids:
        return set()
    return set((await session.scalars(
        select(Record.external_id).where(Record.type == record_type,
                                         _one_of(session, Record.external_id, sorted(external_ids), String()))
    )).all())

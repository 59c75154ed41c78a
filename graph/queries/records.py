"""Reading records: viewer-scoped lists, lookups and quick find (SPEC §2, §9)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import RECORD_CLASSES, Account, Record
from graph.queries.sharing import shared_with
from graph.queries.keyset import SortKey
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import check_filter_text

ORDER_COLUMNS = {
    "NAME": Record.name,
    "CREATED_ON": Record.created_on,
    "MODIFIED_ON": Record.modified_on,
}
INACTIVE_STATES = ("INACTIVE",)


@dataclass(frozen=True)
class RecordFilter:
    text: str | None = None
    owner_ids: Sequence[uuid.UUID] | None = None
    account_id: uuid.UUID | None = None
    email: str | None = None
    industry: str | None = None
    city: str | None = None
    states: Sequence[str] | None = None
    include_inactive: bool = False
    extra: dict[str, object] = field(default_factory=dict)
    # Conditions on custom fields (graph/queries/custom_fields.py), all of which must hold.
    custom: Sequence[ColumnElement[bool]] = ()


def readable(scope: Scope, record_type: str, table: Any = None, *, deleted: bool = False) -> ColumnElement[bool]:
    """The one read predicate of records: the viewer's roles (and their teams' roles) by
    owner and unit, or a grant on the record (R-ADM-6). A record in the recycle bin
    (R-QRY-4) is hidden everywhere; `deleted=True` reads only those (`deletedItems`).
    `table`: an alias of `records` (a relationship filter's EXISTS), default the mapped table."""
    columns = Record if table is None else table.c
    secured = record_type.lower()
    in_bin = columns.deleted_on.is_not(None) if deleted else columns.deleted_on.is_(None)
    if scope.reads_everything(secured):
        return and_(columns.type == record_type, in_bin)
    return and_(
        columns.type == record_type, in_bin,
        or_(scope.read_filter(secured, columns.owner_id, columns.owning_business_unit_id),
            shared_with(scope, columns.id)),
    )


def readable_any(scope: Scope, types: Sequence[str] = tuple(RECORD_CLASSES), table: Any = None) -> ColumnElement[bool]:
    """Records of any of `types` the viewer may read; a type their roles give no depth on is
    still readable where shared."""
    return or_(*(readable(scope, t, table) for t in types)) if types else false()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_query(scope: Scope, record_type: str, flt: RecordFilter) -> Select[tuple[Record]]:
    """The viewer's readable rows of one type matching `flt` (VALIDATION for unusable text)."""
    check_filter_text({"text": flt.text, "email": flt.email, "industry": flt.industry, "city": flt.city},
                      ("filter",))
    cls = RECORD_CLASSES[record_type]
    conditions: list[ColumnElement[bool]] = [readable(scope, record_type)]
    if flt.states:
        conditions.append(Record.state.in_(list(flt.states)))
    elif not flt.include_inactive:
        conditions.append(Record.state.not_in(INACTIVE_STATES))
    if flt.text:
        pattern = _like(flt.text.strip())
        conditions.append(or_(Record.name.ilike(pattern, escape="\\"), Record.email.ilike(pattern, escape="\\")))
    if flt.owner_ids:
        conditions.append(Record.owner_id.in_(list(flt.owner_ids)))
    if flt.account_id:
        conditions.append(Record.account_id == flt.account_id)
    if flt.email:
        conditions.append(func.lower(Record.email) == flt.email.strip().lower())
    if flt.industry:
        conditions.append(func.lower(Account.industry) == flt.industry.strip().lower())
    if flt.city:
        conditions.append(func.lower(Record.city) == flt.city.strip().lower())
    conditions.extend(flt.custom)
    return select(cls).where(*conditions)


def sort_keys(order_by: Sequence[tuple[str, bool]]) -> list[SortKey]:
    for index, (name, _) in enumerate(order_by):
        if name not in ORDER_COLUMNS:  # CUSTOM_FIELD: only where the type's list reads custom fields
            raise DomainError(ErrorCode.VALIDATION, f"this list cannot be ordered by {name}",
                              ("orderBy", str(index), "field"))
    keys = [SortKey(name, ORDER_COLUMNS[name], desc) for name, desc in order_by]
    if not keys:
        keys = [SortKey("NAME", Record.name)]
    return [*keys, SortKey("ID", Record.id, keys[-1].descending)]


async def quick_find(session: AsyncSession, scope: Scope, text: str, limit: int) -> list[Record]:
    """R-REC-4: names, emails and phone numbers of every type the viewer may read."""
    check_filter_text({"text": text}, ())
    pattern = _like(text.strip())
    digits = "".join(ch for ch in text if ch.isdigit())
    matches = [Record.name.ilike(pattern, escape="\\"), Record.email.ilike(pattern, escape="\\")]
    if len(digits) >= 3:
        phone = _like(digits)
        for column in (Record.phone, Record.mobile_phone):
            stripped = func.replace(func.replace(func.replace(func.replace(column, " ", ""), "-", ""), "(", ""), ")", "")
            matches.append(stripped.like(phone, escape="\\"))
    rows = await session.scalars(
        select(Record)
        .where(readable_any(scope), Record.state.not_in(INACTIVE_STATES), or_(*matches))
        .order_by(Record.name, Record.id)
        .limit(limit)
    )
    return list(rows)


async def records_by_id(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Record]:
    rows = await session.scalars(select(Record).where(Record.id.in_(list(ids)), readable_any(scope)))
    return {r.id: r for r in rows}

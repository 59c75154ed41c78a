"""Keyset pagination: pages are ranges of an index, never OFFSETs.

An ordering is a list of (column, descending) ending in a unique column; a position is
the values of those columns for one row. `after(...)` is the predicate for "strictly
after that row in this ordering".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, tuple_


@dataclass(frozen=True)
class SortKey:
    name: str
    column: Any
    descending: bool = False
    # Say "from here on" to the index as one row-value bound too (see `after`).
    seek: bool = False

    def flipped(self) -> SortKey:
        return SortKey(self.name, self.column, not self.descending, self.seek)

    def clause(self) -> Any:
        return self.column.desc() if self.descending else self.column.asc()


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """A key may be nullable when an earlier key puts its nulls together (custom fields'
    "has no value" key): there a null position is equal to nulls and has nothing beyond it."""
    branches = []
    for i, key in enumerate(keys):
        equal = [k.column.is_(None) if v is None else k.column == _value(v)
                 for k, v in zip(keys[:i], values[:i], strict=True)]
        value = values[i]
        if value is None:
            continue
        beyond = key.column < _value(value) if key.descending else key.column > _value(value)
        branches.append(and_(*equal, beyond))
    return and_(or_(*branches), *_seek(keys, values))


def _seek(keys: Sequence[SortKey], values: Sequence[Any]) -> list[ColumnElement[bool]]:
    """A redundant `(k1, k2) >= (v1, v2)` over the leading `seek` keys: PostgreSQL cannot
    start an index scan from the OR above, so a deep page of an order that begins with a
    computed key (a custom field's) read the index from its start (measured: 300 ms at
    100k records); with this bound it starts at the cursor."""
    run = []
    for key, value in zip(keys, values, strict=True):
        if not key.seek or value is None or key.descending != keys[0].descending:
            break
        run.append((key.column, _value(value)))
    if len(run) < 2:
        return []
    left, right = tuple_(*(c for c, _ in run)), tuple_(*(v for _, v in run))
    return [left <= right if keys[0].descending else left >= right]


def _value(value: Any) -> Any:
    """SQLAlchemy compares with True/False only through `is_`; as a bound value they compare."""
    return literal(value) if isinstance(value, bool) else value


def signature(keys: Sequence[SortKey]) -> str:
    """Names the ordering, so a cursor from another ordering is refused, not misread."""
    return ",".join(f"{k.name}{'-' if k.descending else '+'}" for k in keys)

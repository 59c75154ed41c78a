"""Keyset pagination: pages are ranges of an index, never OFFSETs.

An ordering is a list of (column, descending) ending in a unique column; a position is
the values of those columns for one row. `after(...)` is the predicate for "strictly
after that row in this ordering".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_


@dataclass(frozen=True)
class SortKey:
    name: str
    column: Any
    descending: bool = False

    def flipped(self) -> SortKey:
        return SortKey(self.name, self.column, not self.descending)

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
    return or_(*branches)


def _value(value: Any) -> Any:
    """SQLAlchemy compares with True/False only through `is_`; as a bound value they compare."""
    return literal(value) if isinstance(value, bool) else value


def signature(keys: Sequence[SortKey]) -> str:
    """Names the ordering, so a cursor from another ordering is refused, not misread."""
    return ",".join(f"{k.name}{'-' if k.descending else '+'}" for k in keys)

"""Keyset pagination: pages are ranges of an index, never OFFSETs.

An ordering is a list of (column, descending) ending in a unique column; a position is
the values of those columns for one row. `after(...)` is the predicate for "strictly
after that row in this ordering".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_


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
    branches = []
    for i, key in enumerate(keys):
        equal = [k.column == v for k, v in zip(keys[:i], values[:i], strict=True)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        branches.append(and_(*equal, beyond))
    return or_(*branches)


def signature(keys: Sequence[SortKey]) -> str:
    """Names the ordering, so a cursor from another ordering is refused, not misread."""
    return ",".join(f"{k.name}{'-' if k.descending else '+'}" for k in keys)

"""A statement's rows as one JSON array value, for a column of another statement.

The compiled read path (resolvers/compiled) reads a page and its counts in one round
trip: the counts statement becomes an uncorrelated scalar subquery of the page statement,
its grouped rows aggregated into a JSON array of arrays. Both databases evaluate an
uncorrelated scalar subquery once per statement (PostgreSQL as an InitPlan), so the
database does the same work as with two statements, minus a round trip.

No row aggregates to SQL NULL on PostgreSQL and to `[]` on SQLite: `decoded` reads both.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import ScalarSelect, Select, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class _JsonRows(FunctionElement[Any]):
    """The aggregate of one JSON array per row of the given columns."""

    name = "json_rows"
    inherit_cache = True


@compiles(_JsonRows, "postgresql")
def _postgres_rows(element: _JsonRows, compiler: Any, **kw: Any) -> str:
    # As text: the value repeats on every row of the outer statement; decoded once.
    return f"CAST(json_agg(json_build_array({compiler.process(element.clauses, **kw)})) AS TEXT)"


@compiles(_JsonRows, "sqlite")
def _sqlite_rows(element: _JsonRows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


def rows_as_json(statement: Select[Any], name: str) -> ScalarSelect[Any]:
    """`statement`'s rows as one value: a JSON array of one array per row, in its column order."""
    rows = statement.subquery(name)
    return select(_JsonRows(*rows.c)).scalar_subquery()


def decoded(value: Any) -> list[list[Any]]:
    """The rows of a `rows_as_json` value as the driver returned it (text or decoded)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return orjson.loads(value)  # type: ignore[no-any-return]
    return list(value)

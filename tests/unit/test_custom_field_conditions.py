"""Custom field conditions and order (R-QRY-2) against rows in SQLite, compared with the
same rows filtered in Python: every operator on every type it applies to."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from graph.models import Record
from graph.queries.custom_fields import (
    Condition,
    custom_field_condition,
    custom_field_sort_key,
    field_index,
    requires_value,
)
from graph.rules.custom_fields import FieldDefinition

N = FieldDefinition("n", "N", "NUMBER")
D = FieldDefinition("d", "D", "DECIMAL")
T = FieldDefinition("t", "T", "TEXT")
DAY = FieldDefinition("day", "Day", "DATE")
B = FieldDefinition("b", "B", "BOOLEAN")
TAGS = FieldDefinition("tags", "Tags", "MULTI_CHOICE", choices=("a", "b", "c"))
ROWS: list[dict[str, Any]] = [
    {"n": 5, "d": 1.5, "t": "Apple", "day": "2027-01-02", "b": True, "tags": ["a"]},
    {"n": -3, "d": 10.25, "t": "banana_split", "b": False, "tags": ["b", "c"]},
    {"n": 12, "t": "Cherry", "day": "2026-12-31"},
    {},
    {"n": 5, "d": 2, "t": "apricot", "day": "2027-01-02", "b": True},
]
PY_VALUES = {"n": int, "d": Decimal, "t": str, "day": date.fromisoformat, "b": bool}


@pytest.fixture(scope="module")
def session() -> Any:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE records (id CHAR(32) PRIMARY KEY, type VARCHAR(20), custom_fields JSON)")
        for index, values in enumerate(ROWS):
            conn.exec_driver_sql("INSERT INTO records VALUES (?, 'ACCOUNT', json(?))",
                                 (uuid.UUID(int=index).hex, json.dumps(values)))
        for definition in (N, D, T, DAY, B):
            field_index(definition, f"ix_{definition.name}").create(conn)
    with Session(engine) as s:
        yield s


def matching(session: Session, condition: Any) -> list[int]:
    ids = session.scalars(select(Record.__table__.c.id).where(condition)).all()
    return sorted(i.int for i in ids)


def expected(definition: FieldDefinition, test: Any) -> list[int]:
    return [i for i, row in enumerate(ROWS) if test(row.get(definition.name))]


def _py(definition: FieldDefinition, value: Any) -> Any:
    return None if value is None else PY_VALUES[definition.name](value)


CASES = [
    (N, "EQ", 5, lambda v: v == 5), (N, "NE", 5, lambda v: v != 5), (N, "LT", 5, lambda v: v is not None and v < 5),
    (N, "LTE", 5, lambda v: v is not None and v <= 5), (N, "GT", 0, lambda v: v is not None and v > 0),
    (N, "GTE", 12, lambda v: v is not None and v >= 12), (N, "IN", [5, 12], lambda v: v in (5, 12)),
    (N, "NOT_IN", [5], lambda v: v != 5), (N, "IS_NULL", True, lambda v: v is None),
    (N, "IS_NULL", False, lambda v: v is not None),
    (D, "GT", Decimal("1.75"), lambda v: v is not None and v > 1.75), (D, "EQ", Decimal("2"), lambda v: v == 2),
    (T, "EQ", "Apple", lambda v: v == "Apple"), (T, "CONTAINS", "AN", lambda v: v is not None and "an" in v.lower()),
    (T, "STARTS_WITH", "ap", lambda v: v is not None and v.lower().startswith("ap")),
    (T, "CONTAINS", "_", lambda v: v is not None and "_" in v), (T, "LT", "B", lambda v: v is not None and v < "B"),
    (DAY, "GTE", date(2027, 1, 1), lambda v: v is not None and v >= "2027-01-01"),
    (DAY, "EQ", date(2026, 12, 31), lambda v: v == "2026-12-31"),
    (B, "EQ", True, lambda v: v is True), (B, "NE", True, lambda v: v is not True),
    (TAGS, "IN", ["b", "a"], lambda v: bool(v and {"a", "b"} & set(v))),
    (TAGS, "EQ", "c", lambda v: bool(v and "c" in v)), (TAGS, "NOT_IN", ["a"], lambda v: not (v and "a" in v)),
    (TAGS, "IS_NULL", True, lambda v: v is None),
]


@pytest.mark.parametrize(("definition", "operator", "value", "test"), CASES,
                         ids=[f"{d.name}-{o}-{i}" for i, (d, o, _, _) in enumerate(CASES)])
def test_each_operator_matches_what_python_finds(session: Session, definition: FieldDefinition, operator: str,
                                                 value: Any, test: Any) -> None:
    assert matching(session, custom_field_condition(definition, operator, value)) == expected(definition, test)


@pytest.mark.parametrize("descending", [False, True])
def test_order_puts_missing_values_last_ascending_first_descending(session: Session, descending: bool) -> None:
    keys = custom_field_sort_key(N, descending)
    table = Record.__table__
    ids = session.scalars(select(table.c.id).order_by(*(k.clause() for k in keys), table.c.id)).all()
    order = [i.int for i in ids]
    ascending = [1, 0, 4, 2, 3]
    assert order == ([3, 2, 0, 4, 1] if descending else ascending)


def test_a_range_on_a_value_reads_its_index(session: Session) -> None:
    condition = custom_field_condition(N, "GT", 0)
    query = select(Record.__table__.c.id).where(Record.__table__.c.type == "ACCOUNT", condition)
    sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
    assert "USING INDEX ix_n" in " ".join(str(r) for r in plan)


def test_a_page_in_the_fields_order_reads_its_index_in_order(session: Session) -> None:
    """No sort step: the page stops after its rows. (With a condition on the same field too,
    SQLite 3.40 sorts the matching rows instead: docs/custom-fields.md has the figures.)"""
    table = Record.__table__
    keys = custom_field_sort_key(N)
    query = (select(table.c.id).where(table.c.type == "ACCOUNT")
             .order_by(*(k.clause() for k in keys), table.c.id).limit(3))
    sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(r) for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all())
    assert "USING INDEX ix_n" in plan and "TEMP B-TREE" not in plan


@pytest.mark.parametrize(("operator", "value", "requires"), [
    ("EQ", "1", True), ("GTE", "1", True), ("IN", None, True), ("CONTAINS", "a", True), ("NE", "1", False),
    ("NOT_IN", None, False), ("IS_NULL", None, False), ("IS_NULL", "true", False), ("IS_NULL", "False", True),
])
def test_which_conditions_require_a_value(operator: str, value: str | None, requires: bool) -> None:
    """Those let an order by the same field leave out its "has no value" key."""
    assert requires_value(Condition("n", operator, value)) is requires
    keys = custom_field_sort_key(N, has_value=requires)
    assert [k.name for k in keys] == (["CF:n"] if requires else ["CF:n:missing", "CF:n"])

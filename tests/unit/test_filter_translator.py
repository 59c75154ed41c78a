"""R-QRY-1: the filter translator (graph/queries/filters.py), one operator at a time.

Each predicate runs against a few rows in an in-memory SQLite database built from the
models, missing values included: every operator's matches, its `not` being the exact
complement, relations seeing only rows the viewer may read, and bad filters refused
with VALIDATION and the input path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, select, update
from sqlalchemy.pool import StaticPool

from graph.models import Activity, Base, Record
from graph.queries import filter_operators, filters
from graph.queries.custom_fields import Condition
from graph.queries.filter_fields import ENTITIES, where, with_custom_fields
from graph.rules.access import ACTIONS, SECURED_TYPES, Depth, Scope
from graph.rules.custom_fields import FieldDefinition
from graph.rules.errors import DomainError, ErrorCode, Problem

ME, OTHER, UNIT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
T0 = datetime(2031, 1, 1, tzinfo=UTC)
ALL = Scope(user_id=ME, business_unit_id=UNIT, team_ids=frozenset(), deep_unit_ids=frozenset({UNIT}),
            privileges={(t, a): Depth.ORGANIZATION for t in SECURED_TYPES for a in ACTIONS})
OWN_ONLY = Scope(user_id=ME, business_unit_id=UNIT, team_ids=frozenset(), deep_unit_ids=frozenset({UNIT}),
                 privileges={(t, a): Depth.USER for t in SECURED_TYPES for a in ACTIONS})
IDS = {name: uuid.uuid4() for name in ("acme", "globex", "bare", "ann", "bob", "deal", "big", "case", "task")}

# name → (type, columns); `bare` has every optional value missing.
RECORDS: dict[str, tuple[str, dict[str, Any]]] = {
    "acme": ("ACCOUNT", {"industry": "Retail", "city": "Berlin", "email": "hi@acme.example",
                         "created_on": datetime(2031, 1, 1, tzinfo=UTC)}),
    "globex": ("ACCOUNT", {"industry": "retail", "city": "Paris", "created_on": datetime(2031, 1, 2, tzinfo=UTC)}),
    "bare": ("ACCOUNT", {"created_on": datetime(2031, 1, 3, tzinfo=UTC)}),
    "ann": ("CONTACT", {"account_id": IDS["acme"], "first_name": "Ann"}),
    "bob": ("CONTACT", {"account_id": IDS["globex"], "owner_id": OTHER}),
    "deal": ("OPPORTUNITY", {"customer_id": IDS["acme"], "estimated_revenue": Decimal("1000.00"),
                             "estimated_close_date": date(2031, 3, 1), "probability": 50}),
    "big": ("OPPORTUNITY", {"customer_id": IDS["globex"], "estimated_revenue": Decimal("2500.50"), "probability": 90}),
    "case": ("CASE", {"customer_id": IDS["globex"], "priority": "HIGH", "owner_id": OTHER}),
}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine, tables=[Record.__table__, Activity.__table__,
                                             *(t for t in Base.metadata.sorted_tables if t.name == "record_grants")])
    stamps = {"owning_business_unit_id": UNIT, "created_by_id": ME, "modified_by_id": ME, "modified_on": T0,
              "created_on": T0, "version": 1, "owner_id": ME}
    with engine.begin() as connection:
        for name, (record_type, values) in RECORDS.items():
            connection.execute(insert(Record.__table__).values(
                id=IDS[name], type=record_type, name=name.title(), state="ACTIVE", **{**stamps, **values}))
        connection.execute(insert(Activity.__table__).values(
            id=IDS["task"], type="TASK", subject="Call Ann", state="OPEN", priority="HIGH", regarding_id=IDS["case"],
            is_tracked=False, attachment_count=0, note_count=0, party_list=[], **stamps))
    yield engine
    engine.dispose()


def found(engine: Engine, entity: str, flt: dict[str, Any], scope: Scope = ALL) -> set[str]:
    table = ENTITIES[entity].table
    names = {v: k for k, v in IDS.items()}
    kind = {"ACTIVITY": None}.get(entity, entity)
    statement = select(table.c.id).where(where(entity, flt, scope))
    if kind is not None:
        statement = statement.where(table.c.type == kind)
    with engine.connect() as connection:
        return {names[i] for i in connection.scalars(statement)}


ACCOUNTS = {"acme", "globex", "bare"}
# (field, operator, value) on accounts → the accounts that match.
ACCOUNT_CASES = [
    ("industry", "eq", "RETAIL", {"acme", "globex"}),
    ("industry", "ne", "retail", {"bare"}),
    ("industry", "in", ["retail", "Energy"], {"acme", "globex"}),
    ("industry", "in", [], set()),
    ("industry", "not_in", ["Retail"], {"bare"}),
    ("industry", "not_in", [], ACCOUNTS),
    ("city", "contains", "ERL", {"acme"}),
    ("city", "starts_with", "par", {"globex"}),
    ("city", "contains", "%", set()),
    ("email", "is_null", True, {"globex", "bare"}),
    ("email", "is_null", False, {"acme"}),
    ("name", "is_null", True, set()),
    ("created_on", "eq", datetime(2031, 1, 2, tzinfo=UTC), {"globex"}),
    ("created_on", "ne", datetime(2031, 1, 2, tzinfo=UTC), {"acme", "bare"}),
    ("created_on", "lt", datetime(2031, 1, 2, tzinfo=UTC), {"acme"}),
    ("created_on", "lte", datetime(2031, 1, 2, tzinfo=UTC), {"acme", "globex"}),
    ("created_on", "gt", datetime(2031, 1, 2, tzinfo=UTC), {"bare"}),
    ("created_on", "gte", datetime(2031, 1, 2, tzinfo=UTC), {"globex", "bare"}),
    ("created_on", "in", [datetime(2031, 1, 3, tzinfo=UTC)], {"bare"}),
    ("id", "eq", IDS["acme"], {"acme"}),
    ("id", "not_in", [IDS["acme"], IDS["bare"]], {"globex"}),
    ("owner", "ne", ME, set()),
    ("parent_account", "is_null", True, ACCOUNTS),
]


@pytest.mark.parametrize(("name", "op", "value", "want"), ACCOUNT_CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(ACCOUNT_CASES)])
def test_r_qry_1_each_operator_and_its_negation(engine: Engine, name: str, op: str, value: Any, want: set[str]) -> None:
    assert found(engine, "ACCOUNT", {name: {op: value}}) == want
    # Two-valued: a missing value never makes `not` drop a row.
    assert found(engine, "ACCOUNT", {"not": {name: {op: value}}}) == ACCOUNTS - want


@pytest.mark.parametrize(("name", "op", "value", "want"), [
    ("estimated_revenue", "gt", Decimal("999.99"), {"deal", "big"}),
    ("estimated_revenue", "lte", Decimal("1000"), {"deal"}),
    ("probability", "in", [50, 10], {"deal"}),
    ("estimated_close_date", "lt", date(2031, 3, 2), {"deal"}),
    ("estimated_close_date", "ne", date(2031, 3, 1), {"big"}),
    ("estimated_close_date", "is_null", True, {"big"}),
])
def test_r_qry_1_numbers_and_dates(engine: Engine, name: str, op: str, value: Any, want: set[str]) -> None:
    assert found(engine, "OPPORTUNITY", {name: {op: value}}) == want


def test_r_qry_1_and_or_not_combine_and_empty_lists_follow_logic(engine: Engine) -> None:
    retail = {"industry": {"eq": "retail"}}
    berlin = {"city": {"eq": "berlin"}}
    assert found(engine, "ACCOUNT", {"and": [retail, berlin]}) == {"acme"}
    assert found(engine, "ACCOUNT", {"or": [berlin, {"city": {"is_null": True}}]}) == {"acme", "bare"}
    assert found(engine, "ACCOUNT", {**retail, "not": berlin}) == {"globex"}
    assert found(engine, "ACCOUNT", {"and": []}) == ACCOUNTS
    assert found(engine, "ACCOUNT", {"or": []}) == set()
    assert found(engine, "ACCOUNT", {}) == ACCOUNTS
    # Several operators on one field all hold.
    assert found(engine, "ACCOUNT", {"created_on": {"gt": datetime(2031, 1, 1, tzinfo=UTC),
                                                    "lt": datetime(2031, 1, 3, tzinfo=UTC)}}) == {"globex"}


def test_r_qry_1_relations_are_exists_over_readable_rows(engine: Engine) -> None:
    assert found(engine, "ACCOUNT", {"contacts": {"first_name": {"eq": "ann"}}}) == {"acme"}
    assert found(engine, "ACCOUNT", {"opportunities": {"probability": {"gte": 90}}}) == {"globex"}
    assert found(engine, "ACCOUNT", {"not": {"contacts": {}}}) == {"bare"}
    assert found(engine, "CONTACT", {"account": {"industry": {"eq": "retail"}, "city": {"eq": "paris"}}}) == {"bob"}
    assert found(engine, "ACTIVITY", {"regarding": {"record_type": {"eq": "CASE"}}}) == {"task"}
    # The case and Bob belong to someone else: a viewer reading only their own rows learns nothing of them.
    assert found(engine, "ACCOUNT", {"cases": {"priority": {"eq": "HIGH"}}}) == {"globex"}
    assert found(engine, "ACCOUNT", {"cases": {"priority": {"eq": "HIGH"}}}, OWN_ONLY) == set()
    assert found(engine, "ACCOUNT", {"contacts": {}}, OWN_ONLY) == {"acme"}
    assert found(engine, "ACTIVITY", {"regarding": {}}, OWN_ONLY) == set()


def _refused(flt: dict[str, Any], entity: str = "ACCOUNT") -> Problem:
    with pytest.raises(DomainError) as caught:
        where(entity, flt, ALL)
    assert caught.value.code == ErrorCode.VALIDATION
    return caught.value.problems[0]


def test_r_qry_1_depth_is_capped() -> None:
    deep: dict[str, Any] = {"name": {"eq": "x"}}
    for _ in range(filters.MAX_DEPTH - 1):
        deep = {"not": deep}
    where("ACCOUNT", deep, ALL)  # at the cap
    error = _refused({"not": deep})
    assert "nest at most" in error.message
    assert _refused({"contacts": {"account": {"contacts": {"account": {"contacts": {}}}}}}).field[:2] == \
        ("where", "contacts")


def test_r_qry_1_bad_values_are_validation_errors_with_their_path() -> None:
    assert _refused({"created_on": {"gt": datetime(2031, 1, 1)}}).field == ("where", "createdOn", "gt")
    assert _refused({"name": {"lt": "b"}}).field == ("where", "name", "lt")
    assert _refused({"nope": {"eq": 1}}).field == ("where", "nope")
    assert _refused({"name": {"eq": "a\x00b"}}).field == ("where", "name", "eq")
    assert _refused({"name": {"in": ["a", None]}}).field == ("where", "name", "in", "1")
    assert _refused({"name": {"in": ["a"] * (filter_operators.MAX_VALUES + 1)}}).field == ("where", "name", "in")
    assert _refused({"or": [{"name": {"eq": "a"}}] * (filters.MAX_CONDITIONS + 1)}).field[:2] == ("where", "or")
    assert _refused({"probability": {"eq": True}}, "OPPORTUNITY").field == ("where", "probability", "eq")
    assert _refused({"estimated_revenue": {"lt": Decimal("NaN")}}, "OPPORTUNITY").field[-1] == "lt"
    assert _refused({"estimated_revenue": {"in": [Decimal("1E+30")]}}, "OPPORTUNITY").field[-1] == "0"
    far = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    assert _refused({"created_on": {"gte": far}}).field == ("where", "createdOn", "gte")


def test_r_qry_2_custom_field_conditions_join_the_grammar(engine: Engine) -> None:
    """`custom_fields` (R-QRY-2) on records and inside relations (an alias of `records`),
    through the one custom-field translator, with and/or/not and the read predicate."""
    defs = {"ACCOUNT": [FieldDefinition("seats", "Seats", "NUMBER")],
            "CONTACT": [FieldDefinition("vip", "VIP", "BOOLEAN", record_type="CONTACT"),
                        FieldDefinition("old", "Old", "TEXT", record_type="CONTACT", retired=True)]}
    entities = with_custom_fields(defs)
    values = {"acme": {"seats": 10}, "globex": {"seats": 3}, "ann": {"vip": True}, "bob": {"vip": True}}
    names = {v: k for k, v in IDS.items()}
    table = Record.__table__
    seats_over_5 = {"custom_fields": [Condition("seats", "GT", "5")]}
    vip = {"custom_fields": [Condition("vip", "EQ", "true")]}
    with engine.connect() as connection:
        transaction = connection.begin()
        for name, value in values.items():
            connection.execute(update(table).where(table.c.id == IDS[name]).values(custom_fields=value))

        def got(entity: str, flt: dict[str, Any], scope: Scope = ALL) -> set[str]:
            statement = select(table.c.id).where(table.c.type == entity, where(entity, flt, scope, entities=entities))
            return {names[i] for i in connection.scalars(statement)}

        assert got("ACCOUNT", seats_over_5) == {"acme"}
        assert got("ACCOUNT", {"not": seats_over_5}) == {"globex", "bare"}
        assert got("ACCOUNT", {"or": [{"custom_fields": [Condition("seats", "IS_NULL")]},
                                      {"custom_fields": [Condition("seats", "EQ", "3")]}]}) == {"globex", "bare"}
        assert got("ACCOUNT", {"industry": {"eq": "retail"}, "not": seats_over_5}) == {"globex"}
        assert got("ACCOUNT", {"contacts": vip}) == {"acme", "globex"}
        assert got("ACCOUNT", {"contacts": vip}, OWN_ONLY) == {"acme"}  # Bob is someone else's
        assert got("CONTACT", {"account": seats_over_5, **vip}) == {"ann"}
        transaction.rollback()
    with pytest.raises(DomainError) as caught:
        where("ACCOUNT", {"contacts": {"custom_fields": [Condition("old", "EQ", "x")]}}, ALL, entities=entities)
    assert caught.value.problems[0].field == ("where", "contacts", "customFields", "0", "name")
    with pytest.raises(DomainError) as caught:
        where("ACCOUNT", {"custom_fields": [Condition("seats", "EQ", "1")] * (filters.MAX_CONDITIONS + 1)}, ALL,
              entities=entities)
    assert "at most" in caught.value.problems[0].message
    # Without the run time's definitions, a record type has no custom fields to filter on.
    assert _refused(seats_over_5).field == ("where", "customFields")

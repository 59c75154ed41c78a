"""What each list can be filtered on (R-QRY-1): fields, their kinds and the relations between types.

The names are the snake_case forms of the GraphQL `…Where` input fields. A relation is
declared on its outer type with the correlation to the inner rows; the inner type's read
predicate is added by the translator (`graph.queries.filters`).

Index-backed (docs/api.md lists them): `id`, `owner`, foreign keys, `eq` on records'
`name`, `email` and `industry` (indexes on lower(value), migration 0008); relations are
primary-key look-ups or a semi-join read once per statement; activities' `owner` with
`state` and `due`; timeline conditions narrow the record's own index range. Other fields
filter the rows the indexed conditions leave.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement

from graph.models import Activity, Record, TimelineEntry
from graph.queries.activities import readable_activities
from graph.queries.custom_fields import Condition, IdReader, conditions_sql
from graph.queries.filters import Conditions, Entity, Field, Relation, predicate
from graph.queries.records import readable, readable_any
from graph.rules.access import Scope
from graph.rules.custom_fields import FieldDefinition

RECORDS = Record.__table__
ACTIVITIES = Activity.__table__
ENTRIES = TimelineEntry.__table__


def _col(name: str) -> Any:
    return lambda t: t.c[name]


def _string(name: str) -> Field:
    return Field("string", _col(name))


COMMON = {
    "id": Field("id", _col("id"), nullable=False),
    "name": Field("string", _col("name"), nullable=False),
    "owner": Field("id", _col("owner_id"), nullable=False),
    "created_on": Field("datetime", _col("created_on"), nullable=False),
    "modified_on": Field("datetime", _col("modified_on"), nullable=False),
}
# The key of a record type's custom-field conditions (`customFields` in its `…Where`).
CUSTOM_FIELDS = "custom_fields"
STATE_TEXT = {"state": Field("string", _col("state"), nullable=False)}
STATE_ENUM = {"state": Field("enum", _col("state"), nullable=False)}
PEOPLE = {n: _string(n) for n in ("email", "city", "first_name", "last_name", "job_title")}


def _record_entity(record_type: str, fields: Mapping[str, Field], relations: Mapping[str, Relation]) -> Entity:
    def readable_here(scope: Scope, table: Any) -> ColumnElement[bool]:
        return readable(scope, record_type, table)
    return Entity(record_type, RECORDS, {**COMMON, **fields}, relations, readable_here)


ENTITIES: dict[str, Entity] = {
    "ACCOUNT": _record_entity("ACCOUNT", {
        **STATE_TEXT,
        "email": _string("email"), "city": _string("city"), "industry": _string("industry"),
        "website": _string("website"), "parent_account": Field("id", _col("parent_account_id")),
    }, {
        "contacts": Relation("CONTACT", "id", "account_id", many=True),
        "opportunities": Relation("OPPORTUNITY", "id", "customer_id", many=True),
        "cases": Relation("CASE", "id", "customer_id", many=True),
    }),
    "CONTACT": _record_entity("CONTACT", {**STATE_TEXT, **PEOPLE}, {
        "account": Relation("ACCOUNT", "account_id"),
    }),
    "LEAD": _record_entity("LEAD", {
        **STATE_ENUM, **PEOPLE,
        "topic": _string("topic"), "company_name": _string("company_name"), "source": Field("enum", _col("source")),
    }, {}),
    "OPPORTUNITY": _record_entity("OPPORTUNITY", {
        **STATE_ENUM,
        "estimated_revenue": Field("number", _col("estimated_revenue")),
        "estimated_close_date": Field("date", _col("estimated_close_date")),
        "probability": Field("number", _col("probability")),
        "customer": Field("id", _col("customer_id")),
    }, {}),
    "CASE": _record_entity("CASE", {
        **STATE_ENUM,
        "priority": Field("enum", _col("priority")), "origin": Field("enum", _col("origin")),
        "resolve_by": Field("datetime", _col("resolve_by")), "customer": Field("id", _col("customer_id")),
    }, {}),
    # Any record: what an activity is regarding.
    "RECORD": Entity("RECORD", RECORDS, {
        **COMMON, **STATE_TEXT, "record_type": Field("enum", _col("type"), nullable=False),
    }, {}, lambda scope, table: readable_any(scope, table=table)),
    "ACTIVITY": Entity("ACTIVITY", ACTIVITIES, {
        "id": Field("id", _col("id"), nullable=False),
        "type": Field("enum", _col("type"), nullable=False),
        "state": Field("enum", _col("state"), nullable=False),
        "priority": Field("enum", _col("priority"), nullable=False),
        "subject": Field("string", _col("subject"), nullable=False),
        "due": Field("datetime", _col("due")),
        "created_on": Field("datetime", _col("created_on"), nullable=False),
        "modified_on": Field("datetime", _col("modified_on"), nullable=False),
        "owner": Field("id", _col("owner_id"), nullable=False),
    }, {
        "regarding": Relation("RECORD", "regarding_id"),
    }, lambda scope, table: readable_activities(scope, table=table)),
    # Entries of one record's timeline (never the inner side of a relation).
    "TIMELINE": Entity("TIMELINE", ENTRIES, {
        "type": Field("enum", _col("entry_type"), nullable=False),
        "state": Field("enum", _col("state"), nullable=False),
        "owner": Field("id", _col("owner_id"), nullable=False),
        "date": Field("datetime", _col("sort_key"), nullable=False),
    }, {
        "activity": Relation("ACTIVITY", "activity_id"),
    }),
}


def where(entity: str, flt: Mapping[str, Any] | None, scope: Scope, table: Any = None,
          entities: Mapping[str, Entity] = ENTITIES) -> ColumnElement[bool]:
    """The predicate of `flt` on rows of one of `entities` (see `graph.queries.filters.predicate`).

    Fields known only at run time (an organisation's custom fields) come in as `entities`
    with more fields: `with_custom_fields(…)`, or `dataclasses.replace(ENTITIES["ACCOUNT"], fields={…})`."""
    return predicate(entities, entity, flt, scope, table)


def with_custom_fields(definitions: Mapping[str, Sequence[FieldDefinition]], read_id: IdReader | None = None,
                       entities: Mapping[str, Entity] = ENTITIES) -> dict[str, Entity]:
    """`entities` where each record type in `definitions` also takes `custom_fields`: a list
    of `graph.queries.custom_fields.Condition`s on its live fields, all of which must hold,
    translated by `custom_fields.conditions_sql` (the one translator of custom-field
    conditions, also behind `filter.customFields`). `read_id` reads a LOOKUP's record id."""
    extended = dict(entities)
    for record_type, fields in definitions.items():
        def sql(conditions: Sequence[Condition], table: Any, path: tuple[str, ...],
                fields: Sequence[FieldDefinition] = fields) -> list[ColumnElement[bool]]:
            return conditions_sql(fields, conditions, path, read_id, table)
        entity = extended[record_type]
        extended[record_type] = dataclasses.replace(entity, fields={**entity.fields, CUSTOM_FIELDS: Conditions(sql)})
    return extended

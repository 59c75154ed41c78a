"""Reading custom fields (R-QRY-2): definitions, and SQL on their values.

A value is an expression on `records.custom_fields` that renders the same text in a query
and in the field's index, so the database finds the index for it:
- SQLite: `json_extract(custom_fields, '$.name')` (numbers come back as numbers);
- PostgreSQL: `(custom_fields ->> 'name')`, cast to NUMERIC or BOOLEAN for those types.
The name is part of the SQL text, not a parameter: an index on an expression is used only
for that very expression, and a parameter would hide it. Names are checked
(`[a-z][A-Za-z0-9]*`) before they get here.

Each sortable field has one index, `(type, 1 if no value else 0, value, id)`: a page ordered by
the field walks it, and a condition on the value also says "has a value", so it
is a range of the same index. Rows without a value sort last ascending, first descending.
Multi-choice conditions are a scan of the type's rows (they look inside a list).
"""

from __future__ import annotations

import operator as operators
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON, Boolean, Column, ColumnElement, Index, MetaData, Numeric, String, Table, Uuid, and_, case, false,
    literal, not_, or_, select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import Grouping, literal_column
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

from graph.models import CustomFieldDefinition, Record
from graph.queries.keyset import SortKey
from graph.rules.custom_fields import FieldDefinition, parse_text, stored_value
from graph.rules.errors import DomainError, ErrorCode, Problem

NUMERIC_TYPES = ("NUMBER", "DECIMAL")
TEXT_OPERATORS = ("CONTAINS", "STARTS_WITH")
ORDER_OPERATORS = ("LT", "LTE", "GT", "GTE")
OPERATORS = ("EQ", "NE", "IN", "NOT_IN", "IS_NULL", *ORDER_OPERATORS, *TEXT_OPERATORS)


class _Value(FunctionElement[Any]):
    """`records.custom_fields` at one key, as SQL of the field's kind (see the module doc)."""

    inherit_cache = True
    cast_to: str | None = None


class _TextValue(_Value):
    type: TypeEngine[Any] = String()
    name = "custom_text"
    inherit_cache = True


class _NumberValue(_Value):
    type = Numeric()
    name = "custom_number"
    cast_to = "NUMERIC"
    inherit_cache = True


class _BooleanValue(_Value):
    type = Boolean()
    name = "custom_boolean"
    cast_to = "BOOLEAN"
    inherit_cache = True


class _ListValue(FunctionElement[Any]):
    """True when the list at one key holds any of the given texts (multi-choice)."""

    type = Boolean()
    name = "custom_list_has"
    inherit_cache = True


def _parts(element: FunctionElement[Any], compiler: Any, **kw: Any) -> tuple[str, str]:
    column, key = list(element.clauses)
    return compiler.process(column, **kw), key.name


@compiles(_Value, "sqlite")
def _sqlite_value(element: _Value, compiler: Any, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    return f"json_extract({column}, '$.{key}')"


@compiles(_Value, "postgresql")
def _postgres_value(element: _Value, compiler: Any, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    text = f"({column} ->> '{key}')"
    return f"CAST({text} AS {element.cast_to})" if element.cast_to else text


@compiles(_ListValue, "sqlite")
def _sqlite_list(element: _ListValue, compiler: Any, **kw: Any) -> str:
    column, key, *values = list(element.clauses)
    wanted = ", ".join(compiler.process(v, **kw) for v in values)
    return (f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}, '$.{key.name}') AS chosen "
            f"WHERE chosen.value IN ({wanted}))")


@compiles(_ListValue, "postgresql")
def _postgres_list(element: _ListValue, compiler: Any, **kw: Any) -> str:
    column, key, *values = list(element.clauses)
    wanted = ", ".join(compiler.process(v, **kw) for v in values)
    return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({compiler.process(column, **kw)} -> '{key.name}') "
            f"AS chosen(value) WHERE chosen.value IN ({wanted}))")


def value_of(definition: FieldDefinition, table: Table | None = None) -> ColumnElement[Any]:
    """The field's value on `records` as SQL."""
    kind = {"NUMBER": _NumberValue, "DECIMAL": _NumberValue, "BOOLEAN": _BooleanValue}.get(definition.type, _TextValue)
    column = (table if table is not None else Record.__table__).c.custom_fields
    return kind(column, literal_column(definition.name))  # type: ignore[return-value]


def _missing(definition: FieldDefinition, table: Table | None = None) -> ColumnElement[int]:
    """1 when the record has no value, else 0. An integer, not `value IS NULL`: PostgreSQL
    rewrites `(value IS NULL) = false` to `value IS NOT NULL`, which no longer names the
    index's column, and the index is then read from its start (measured: 39 ms, not 0.1)."""
    return case((value_of(definition, table).is_(None), 1), else_=0)


def custom_field_condition(definition: FieldDefinition, operator: str, value: Any,
                           table: Table | None = None) -> ColumnElement[bool]:
    """The SQL for "this field `operator` `value`"; `value` is in the type's input form (an
    int, Decimal, date, … or a list of them for IN/NOT_IN; a bool for IS_NULL), checked
    already by the caller (`graph.rules.custom_fields.parse_text`, `stored_value`).
    `table` is `records` or an alias of it (the inner rows of a `where:` relation).

    A value missing on a row matches only IS_NULL true, NE and NOT_IN (as "not that value").
    """
    if operator == "IS_NULL":
        return _missing(definition, table) == (1 if value else 0)
    if definition.type == "MULTI_CHOICE":
        return _list_condition(definition, operator, value, table)
    column = value_of(definition, table)
    present = _missing(definition, table) == 0
    if operator in ("IN", "NOT_IN"):
        stored = [_sql_value(definition, v) for v in value]
        chosen = column.in_(stored) if stored else false()
        return and_(present, chosen) if operator == "IN" else or_(_missing(definition, table) == 1, not_(chosen))
    if operator in TEXT_OPERATORS:
        text = str(_sql_value(definition, value))
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%" if operator == "CONTAINS" else f"{escaped}%"
        return and_(present, column.ilike(pattern, escape="\\"))
    compared = _sql_value(definition, value)
    if operator == "NE":
        return or_(_missing(definition, table) == 1,
                   column != (literal(compared, Boolean()) if isinstance(compared, bool) else compared))
    if isinstance(compared, bool):
        compared = literal(compared, Boolean())
    compare = {"EQ": operators.eq, "LT": operators.lt, "LTE": operators.le, "GT": operators.gt, "GTE": operators.ge}
    return and_(present, compare[operator](column, compared))


def _list_condition(definition: FieldDefinition, operator: str, value: Any,
                    table: Table | None = None) -> ColumnElement[bool]:
    """Multi-choice: IN / EQ hold when the record has any of the choices; NOT_IN / NE when none."""
    choices: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        choices.extend(item if isinstance(item, list) else [item])
    stored = stored_value(definition, choices) or []
    if not stored:
        has = false()
    else:
        column = (table if table is not None else Record.__table__).c.custom_fields
        has = _ListValue(column, literal_column(definition.name),  # type: ignore[assignment]
                         *(literal(c, String()) for c in stored))
    return has if operator in ("IN", "EQ") else not_(has)


def _sql_value(definition: FieldDefinition, value: Any) -> Any:
    """The input value as the SQL expression yields it (stored form; Decimal on PostgreSQL)."""
    stored = stored_value(definition, value)
    if definition.type in NUMERIC_TYPES and stored is not None:
        return Decimal(str(stored))
    return stored


def custom_field_sort_key(definition: FieldDefinition, descending: bool = False, *,
                          has_value: bool = False) -> list[SortKey]:
    """Two keys: "has no value" (so missing values sort last ascending on both databases),
    then the value; only the value when the filter already requires one (`has_value`: then
    SQLite reads the index in order instead of sorting the matches). The caller appends its
    unique tie-breaker (the id), with `seek` set."""
    name = f"CF:{definition.name}"
    value = SortKey(name, value_of(definition), descending, seek=True)
    if has_value:
        return [value]
    return [SortKey(f"{name}:missing", _missing(definition), descending, seek=True), value]


def sort_position(definition: FieldDefinition, row: Record) -> list[Any]:
    """A row's values for `custom_field_sort_key` (for the page cursor)."""
    stored = (row.custom_fields or {}).get(definition.name)
    if stored is not None and definition.type in NUMERIC_TYPES:
        stored = Decimal(str(stored))
    return [1 if stored is None else 0, stored]


# The records table as the fields' indexes see it: its own MetaData, so that an index made
# at run time never joins the models' metadata (which the migrations must match).
_RECORDS = Table("records", MetaData(), Column("id", Uuid()), Column("type", String(20)),
                 Column("custom_fields", JSON()))


def field_index(definition: FieldDefinition, name: str) -> Index:
    """The index a sortable field's value is read through (created with the field)."""
    missing = Grouping(_missing(definition, _RECORDS))  # PostgreSQL wants a CASE in parentheses here
    return Index(name, _RECORDS.c.type, missing, value_of(definition, _RECORDS), _RECORDS.c.id)


def index_name(definition_id: uuid.UUID) -> str:
    return f"ix_records_cf_{definition_id.hex}"


def as_rule(row: CustomFieldDefinition) -> FieldDefinition:
    return FieldDefinition(row.name, row.label, row.type, row.required, tuple(row.choices or ()), row.lookup_type,
                           row.record_type, row.retired)


async def definition_rows(session: AsyncSession, record_types: Sequence[str] | None = None, *,
                          include_retired: bool = False) -> list[CustomFieldDefinition]:
    """Definitions in the order they were made (then by name)."""
    query = select(CustomFieldDefinition)
    if record_types is not None:
        query = query.where(CustomFieldDefinition.record_type.in_(list(record_types)))
    if not include_retired:
        query = query.where(CustomFieldDefinition.retired == false())
    rows = await session.scalars(query.order_by(CustomFieldDefinition.created_on, CustomFieldDefinition.name))
    return list(rows)


async def definitions(session: AsyncSession, record_type: str, *,
                      include_retired: bool = False) -> list[FieldDefinition]:
    return [as_rule(r) for r in await definition_rows(session, [record_type], include_retired=include_retired)]


@dataclass(frozen=True)
class Condition:
    """A filter's condition as the client wrote it: values are text, read per the field's type."""

    name: str
    operator: str
    value: str | None = None
    values: Sequence[str] | None = None


IdReader = Callable[[str], uuid.UUID | None]


def conditions_sql(definitions: Sequence[FieldDefinition], conditions: Sequence[Condition],
                   prefix: Sequence[str], read_id: IdReader | None = None,
                   table: Table | None = None) -> list[ColumnElement[bool]]:
    """The SQL of each condition on `table` (default `records`); VALIDATION naming the
    condition's part for unknown (or retired) fields, values that are not of the field's
    type, and operators the type has no use for."""
    live = {d.name: d for d in definitions if not d.retired}
    problems: list[Problem] = []
    clauses: list[ColumnElement[bool]] = []
    for index, condition in enumerate(conditions):
        path = (*prefix, str(index))
        definition = live.get(condition.name)
        if definition is None:
            problems.append(Problem(ErrorCode.VALIDATION, f"there is no field '{condition.name}'", (*path, "name")))
            continue
        try:
            clauses.append(custom_field_condition(definition, condition.operator,
                                                  _condition_value(definition, condition, read_id), table))
        except _Refused as refused:
            problems.append(Problem(ErrorCode.VALIDATION, f"{condition.name}: {refused.message}",
                                    (*path, refused.part)))
    if problems:
        raise DomainError(problems=problems)
    return clauses


class _Refused(Exception):
    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part, self.message = part, message


def _condition_value(definition: FieldDefinition, condition: Condition, read_id: IdReader | None) -> Any:
    operator = condition.operator
    if operator not in OPERATORS:
        raise _Refused("operator", f"no operator {operator}")
    if operator == "IS_NULL":
        text = (condition.value or "true").strip().casefold()
        if text not in ("true", "false"):
            raise _Refused("value", "IS_NULL takes true or false")
        return text == "true"
    if operator in TEXT_OPERATORS and definition.type != "TEXT":
        raise _Refused("operator", f"{operator} is for text fields")
    if operator in ORDER_OPERATORS and definition.type in ("BOOLEAN", "LOOKUP", "MULTI_CHOICE"):
        raise _Refused("operator", f"a {definition.type.lower().replace('_', '-')} field has no order")
    if operator in ("IN", "NOT_IN"):
        if condition.values is None:
            raise _Refused("values", f"{operator} takes `values`")
        return [_one(definition, text, read_id, "values") for text in condition.values]
    if condition.value is None:
        raise _Refused("value", f"{operator} takes a `value`")
    if operator in TEXT_OPERATORS:
        return condition.value.strip() or _refuse("value", "give some text")
    return _one(definition, condition.value, read_id, "value")


def _refuse(part: str, message: str) -> Any:
    raise _Refused(part, message)


def _one(definition: FieldDefinition, text: str, read_id: IdReader | None, part: str) -> Any:
    if definition.type == "LOOKUP" and read_id is not None:
        found = read_id(text.strip())
        if found is None:
            raise _Refused(part, f"'{text[:40]}' is not a record id")
        return found
    try:
        value = parse_text(definition, text)
        if value is None:
            raise ValueError("needs a value")
        if definition.type == "MULTI_CHOICE":
            return [stored_value(FieldDefinition(definition.name, "", "CHOICE", choices=definition.choices), v)
                    for v in value]
        stored_value(definition, value)  # in range, one of the choices, …
        return value
    except ValueError as why:
        raise _Refused(part, str(why)) from None


def requires_value(condition: Condition) -> bool:
    """Does the condition hold only for records with a value (then an order by the field
    needs no "has no value" key)?"""
    if condition.operator == "IS_NULL":
        return (condition.value or "true").strip().casefold() == "false"
    return condition.operator not in ("NE", "NOT_IN")


def ordered_by(definitions: Sequence[FieldDefinition], name: str, descending: bool,
               prefix: Sequence[str], valued: Collection[str] = ()) -> list[SortKey]:
    """The sort keys for `orderBy: {field: CUSTOM_FIELD, customField: name}`."""
    definition = next((d for d in definitions if d.name == name and not d.retired), None)
    if definition is None:
        raise DomainError(ErrorCode.VALIDATION, f"there is no field '{name}'", (*prefix, "customField"))
    if not definition.sortable:
        raise DomainError(ErrorCode.VALIDATION, f"{name} is a multi-choice field, which has no order",
                          (*prefix, "customField"))
    return custom_field_sort_key(definition, descending, has_value=name in valued)


def position_of(definitions: Sequence[FieldDefinition]) -> Callable[[Record, SortKey], Any]:
    """Reads a row's value for any sort key, custom ones included (for page cursors)."""
    by_key = {f"CF:{d.name}": d for d in definitions}

    def value(row: Record, key: SortKey) -> Any:
        if key.name.startswith("CF:"):
            missing, stored = sort_position(by_key[key.name.removesuffix(":missing")], row)
            return missing if key.name.endswith(":missing") else stored
        return getattr(row, key.column.key)
    return value

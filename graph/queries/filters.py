"""Rich filters (R-QRY-1): one translator from a filter tree in plain values to one SQL predicate.

A filter is a plain mapping (keys are snake_case; the resolvers build it from the GraphQL
`…Where` inputs, ids already decoded):

    {"and": [filter, …], "or": [filter, …], "not": filter,
     <field>: {<operator>: value, …},        e.g. "name": {"starts_with": "acme"}
     <relation>: filter}                     e.g. "cases": {"priority": {"eq": "HIGH"}}

Every key of one mapping must hold (implicit AND); several operators on one field too.
`and: []` holds, `or: []` does not (the empty AND and OR of logic).

Each entity (`graph.queries.filter_fields`) names its fields, each of one *kind*, and the
translator dispatches per field to the operator functions of its kind (`OPERATORS`): a new
kind of field (a custom field, say) is one more entry there and one more `Field`.

Semantics are two-valued, so `not` is the exact complement: a condition on a missing
(NULL) value is false, except `ne`, `not_in` and `is_null: true`, which a missing value
satisfies ("has no industry" is "not Retail"). Strings compare case-insensitively (as the
older filters do; SQLite folds ASCII letters only).

A relation compiles to EXISTS over the related rows the viewer may read: the related
type's read predicate is ANDed inside, so a filter can never tell whether a row the
viewer may not read exists ("accounts with a HIGH case" means a HIGH case you can see).
The caller ANDs the outer rows' own read predicate, as every list does.

Pure: no session, no clock. Bad input raises DomainError(VALIDATION) with the input path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true

from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import MAX_FILTER_LENGTH, unusable_text

# Each `and`/`or`/`not` element and each relation is one level: a page filter stays a
# statement the planner handles in microseconds, however it is written.
MAX_DEPTH = 5
# Field conditions (operators) in one filter, all levels together.
MAX_CONDITIONS = 50
# Values in one `in` / `not_in` list.
MAX_VALUES = 200
LOGICAL = ("and", "or", "not")

Path = tuple[str, ...]
Operator = Callable[[Any, Any, bool], ColumnElement[bool]]


@dataclass(frozen=True)
class Field:
    """A filterable field: its kind (which operators it takes) and its SQL expression on a table."""

    kind: str
    column: Callable[[Any], Any]
    nullable: bool = True


@dataclass(frozen=True)
class Relation:
    """Rows of `target` related to the outer row: `joins(outer, inner)` correlates them."""

    target: str
    joins: Callable[[Any, Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Entity:
    name: str
    table: Any
    fields: Mapping[str, Field]
    relations: Mapping[str, Relation] = field(default_factory=dict)
    # The viewer's read predicate on a table (an alias inside EXISTS); None: never a target.
    readable: Callable[[Scope, Any], ColumnElement[bool]] | None = None


# --- operators by kind ----------------------------------------------------------------------


def _present(column: Any, nullable: bool, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, false (never NULL) where the value is missing."""
    return and_(column.is_not(None), condition) if nullable else condition


def _absent_or(column: Any, nullable: bool, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """`condition`, true where the value is missing."""
    return or_(column.is_(None), condition) if nullable else condition


def _is_null(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
    if not nullable:
        return false() if value else true()
    return column.is_(None) if value else column.is_not(None)


def _compare(how: str) -> Operator:
    def operator(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
        return _present(column, nullable, getattr(column, how)(value))
    return operator


def _eq(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
    return _present(column, nullable, column == value)


def _ne(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
    return _absent_or(column, nullable, column != value)


def _in(column: Any, values: Any, nullable: bool) -> ColumnElement[bool]:
    return _present(column, nullable, column.in_(list(values))) if values else false()


def _not_in(column: Any, values: Any, nullable: bool) -> ColumnElement[bool]:
    return _absent_or(column, nullable, column.not_in(list(values))) if values else true()


def _lowered(operator: Operator, lower_value: bool = True) -> Operator:
    """The operator on lower(column) with lower-cased values: strings ignore case."""
    def on_lower(column: Any, value: Any, nullable: bool) -> ColumnElement[bool]:
        if lower_value and isinstance(value, str):
            value = value.lower()
        elif lower_value and isinstance(value, (list, tuple)):
            value = [v.lower() for v in value]
        guarded = operator(func.lower(column), value, False)
        return _present(column, nullable, guarded) if operator not in (_ne, _not_in) else \
            _absent_or(column, nullable, guarded)
    return on_lower


def _like(pattern: Callable[[str], str]) -> Operator:
    def operator(column: Any, value: str, nullable: bool) -> ColumnElement[bool]:
        escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return _present(column, nullable, func.lower(column).like(pattern(escaped), escape="\\"))
    return operator


EQUALITY: dict[str, Operator] = {"eq": _eq, "ne": _ne, "in": _in, "not_in": _not_in, "is_null": _is_null}
ORDERED: dict[str, Operator] = {
    "eq": _eq, "ne": _ne, "in": _in, "is_null": _is_null,
    "lt": _compare("__lt__"), "lte": _compare("__le__"), "gt": _compare("__gt__"), "gte": _compare("__ge__"),
}
STRING: dict[str, Operator] = {
    **{name: _lowered(op) for name, op in EQUALITY.items() if name != "is_null"},
    "is_null": _is_null,
    "contains": _like(lambda v: f"%{v}%"),
    "starts_with": _like(lambda v: f"{v}%"),
}
# Field kind → its operators. A kind's values are checked by VALUE_CHECKS before use.
OPERATORS: dict[str, dict[str, Operator]] = {
    "string": STRING,
    "number": ORDERED,
    "date": ORDERED,
    "datetime": ORDERED,
    "enum": EQUALITY,
    "id": EQUALITY,
}


# --- values ---------------------------------------------------------------------------------


def _camel(name: str) -> str:
    """Paths in errors name the input as clients wrote it."""
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _problem(message: str, path: Path) -> DomainError:
    return DomainError(ErrorCode.VALIDATION, message, path)


def _check_string(value: Any, path: Path) -> None:
    if not isinstance(value, str):
        raise _problem("expected text", path)
    why = unusable_text(value, MAX_FILTER_LENGTH)
    if why is not None:
        raise _problem(f"text {why}", path)


def _check_datetime(value: Any, path: Path) -> None:
    if not isinstance(value, datetime):
        raise _problem("expected a date and time", path)
    if value.tzinfo is None:
        raise _problem("a date and time needs a time zone offset", path)


def _check_date(value: Any, path: Path) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _problem("expected a date", path)


def _check_number(value: Any, path: Path) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise _problem("expected a number", path)


VALUE_CHECKS: dict[str, Callable[[Any, Path], None]] = {
    "string": _check_string, "datetime": _check_datetime, "date": _check_date, "number": _check_number,
}


def _checked(kind: str, operator: str, value: Any, path: Path) -> Any:
    if value is None:
        raise _problem("give a value or leave the operator out (isNull asks for a missing value)", path)
    if operator == "is_null":
        if not isinstance(value, bool):
            raise _problem("expected true or false", path)
        return value
    check = VALUE_CHECKS.get(kind)
    if operator in ("in", "not_in"):
        values = list(value)
        if len(values) > MAX_VALUES:
            raise _problem(f"at most {MAX_VALUES} values in one list", path)
        for i, item in enumerate(values):
            if item is None:
                raise _problem("a list of values cannot hold null (use isNull)", (*path, str(i)))
            if check is not None:
                check(item, (*path, str(i)))
        return values
    if check is not None:
        check(value, path)
    return value


# --- the translator -------------------------------------------------------------------------


@dataclass
class _Budget:
    conditions: int = 0


def predicate(entities: Mapping[str, Entity], entity: str, flt: Mapping[str, Any] | None, scope: Scope,
              table: Any = None, *, path: Path = ("where",), max_depth: int = MAX_DEPTH) -> ColumnElement[bool]:
    """The SQL condition for `flt` on rows of `entity` in `table` (default: the entity's table).

    The rows' own read predicate is the caller's to add; related rows' read predicates are
    added here, inside each EXISTS."""
    if not flt:
        return true()
    translator = _Translator(entities, scope, max_depth, _Budget())
    spec = entities[entity]
    return translator.node(spec, flt, spec.table if table is None else table, path, 1)


@dataclass
class _Translator:
    entities: Mapping[str, Entity]
    scope: Scope
    max_depth: int
    budget: _Budget

    def node(self, spec: Entity, flt: Mapping[str, Any], table: Any, path: Path, depth: int) -> ColumnElement[bool]:
        if depth > self.max_depth:
            raise _problem(f"a filter may nest at most {self.max_depth} levels (and, or, not and relations "
                           f"each add one)", path)
        if not isinstance(flt, Mapping):
            raise _problem("expected a filter object", path)
        parts: list[ColumnElement[bool]] = []
        for key, value in flt.items():
            if value is None:
                continue  # a field left out
            where = (*path, _camel(key))
            if key in ("and", "or"):
                if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
                    raise _problem("expected a list of filters", where)
                items = [self.node(spec, v, table, (*where, str(i)), depth + 1) for i, v in enumerate(value)]
                parts.append(and_(true(), *items) if key == "and" else or_(false(), *items))
            elif key == "not":
                parts.append(not_(self.node(spec, value, table, where, depth + 1)))
            elif key in spec.fields:
                parts.append(self.field(spec.fields[key], value, table, where))
            elif key in spec.relations:
                parts.append(self.relation(spec.relations[key], value, table, where, depth))
            else:
                raise _problem(f"{spec.name.lower()} has no filter field '{key}'", where)
        return and_(true(), *parts)

    def field(self, spec: Field, ops: Mapping[str, Any], table: Any, path: Path) -> ColumnElement[bool]:
        if not isinstance(ops, Mapping):
            raise _problem("expected operators", path)
        operators = OPERATORS[spec.kind]
        column = spec.column(table)
        parts = []
        for name, value in ops.items():
            if value is None:
                continue
            where = (*path, _camel(name))
            operator = operators.get(name)
            if operator is None:
                raise _problem(f"'{name}' does not apply to a {spec.kind} field", where)
            self.budget.conditions += 1
            if self.budget.conditions > MAX_CONDITIONS:
                raise _problem(f"a filter may hold at most {MAX_CONDITIONS} conditions", where)
            parts.append(operator(column, _checked(spec.kind, name, value, where), spec.nullable))
        return and_(true(), *parts)

    def relation(self, spec: Relation, flt: Any, outer: Any, path: Path, depth: int) -> ColumnElement[bool]:
        target = self.entities[spec.target]
        assert target.readable is not None, f"{target.name} cannot be the target of a relation"
        inner = target.table.alias()
        condition = self.node(target, flt, inner, path, depth + 1)
        return exists(select(1).select_from(inner).where(
            spec.joins(outer, inner), target.readable(self.scope, inner), condition,
        ))

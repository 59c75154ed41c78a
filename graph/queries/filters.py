"""Rich filters (R-QRY-1): one translator from a filter tree in plain values to one SQL predicate.

A filter is a plain mapping (keys are snake_case; the resolvers build it from the GraphQL
`…Where` inputs, ids already decoded):

    {"and": [filter, …], "or": [filter, …], "not": filter,
     <field>: {<operator>: value, …},        e.g. "name": {"starts_with": "acme"}
     <relation>: filter}                     e.g. "cases": {"priority": {"eq": "HIGH"}}

Every key of one mapping must hold (implicit AND); several operators on one field too.
`and: []` holds, `or: []` does not (the empty AND and OR of logic).

Each entity (`graph.queries.filter_fields`) names its fields, each of one *kind*, and the
translator dispatches per field to the operator functions of its kind
(`graph.queries.filter_operators.OPERATORS`): a new kind of field (a custom field, say) is
one more entry there and one more `Field` on its entity. Conditions whose SQL only the
request knows (an organisation's custom fields, `custom_fields: [condition, …]`, every one
of which must hold) are a `Conditions` entry among the entity's fields instead.

Semantics are two-valued, so `not` is the exact complement: a condition on a missing
(NULL) value is false, except `ne`, `not_in` and `is_null: true`, which a missing value
satisfies ("has no industry" is "not Retail"). Strings compare case-insensitively (as the
older filters do; SQLite folds ASCII letters only).

A relation compiles to an EXISTS or a semi-join (`Relation`) over the related rows the
viewer may read: the related
type's read predicate is ANDed inside, so a filter can never tell whether a row the
viewer may not read exists ("accounts with a HIGH case" means a HIGH case you can see).
The caller ANDs the outer rows' own read predicate, as every list does.

Pure: no session, no clock. Bad input raises DomainError(VALIDATION) with the input path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true

from graph.queries.filter_operators import OPERATORS, Path, camel, checked, problem
from graph.rules.access import Scope

# Each `and`/`or`/`not` element and each relation is one level: a page filter stays a
# statement the planner handles in microseconds, however it is written.
MAX_DEPTH = 5
# Field conditions (operators) in one filter, all levels together.
MAX_CONDITIONS = 50


@dataclass(frozen=True)
class Field:
    """A filterable field: its kind (which operators it takes) and its SQL expression on a table."""

    kind: str
    column: Callable[[Any], Any]
    nullable: bool = True


@dataclass(frozen=True)
class Conditions:
    """A list of conditions, all of which must hold, turned into SQL by `sql(conditions, table, path)`.

    For fields known only at run time (custom fields): their definitions are the caller's,
    bound into `sql`, which checks each condition and raises DomainError(VALIDATION) naming
    its path. Each condition counts once against MAX_CONDITIONS."""

    sql: Callable[[Sequence[Any], Any, Path], Sequence[ColumnElement[bool]]]


@dataclass(frozen=True)
class Relation:
    """Rows of `target` whose `inner_key` equals the outer row's `outer_key`.

    `many` (account → its contacts): a semi-join, `outer_key IN (SELECT inner_key …)`,
    which both planners run once per statement (SQLite without statistics would otherwise
    read the related type's rows once per outer row). Otherwise (a row's account, an
    activity's record): EXISTS on the related row's primary key, one look-up per row.
    """

    target: str
    outer_key: str
    inner_key: str = "id"
    many: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    table: Any
    fields: Mapping[str, Field | Conditions]
    relations: Mapping[str, Relation] = field(default_factory=dict)
    # The viewer's read predicate on a table (an alias inside a relation); None: never a target.
    readable: Callable[[Scope, Any], ColumnElement[bool]] | None = None


# --- the translator -------------------------------------------------------------------------


@dataclass
class _Budget:
    conditions: int = 0


def predicate(entities: Mapping[str, Entity], entity: str, flt: Mapping[str, Any] | None, scope: Scope,
              table: Any = None, *, path: Path = ("where",), max_depth: int = MAX_DEPTH) -> ColumnElement[bool]:
    """The SQL condition for `flt` on rows of `entity` in `table` (default: the entity's table).

    The rows' own read predicate is the caller's to add; related rows' read predicates are
    added here, inside each EXISTS or semi-join."""
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
            raise problem(f"a filter may nest at most {self.max_depth} levels (and, or, not and relations "
                          f"each add one)", path)
        if not isinstance(flt, Mapping):
            raise problem("expected a filter object", path)
        parts: list[ColumnElement[bool]] = []
        for key, value in flt.items():
            if value is None:
                continue  # a field left out
            where = (*path, camel(key))
            if key in ("and", "or"):
                if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
                    raise problem("expected a list of filters", where)
                items = [self.node(spec, v, table, (*where, str(i)), depth + 1) for i, v in enumerate(value)]
                parts.append(and_(true(), *items) if key == "and" else or_(false(), *items))
            elif key == "not":
                parts.append(not_(self.node(spec, value, table, where, depth + 1)))
            elif key in spec.fields:
                known = spec.fields[key]
                parts.append(self.conditions(known, value, table, where) if isinstance(known, Conditions)
                             else self.field(known, value, table, where))
            elif key in spec.relations:
                parts.append(self.relation(spec.relations[key], value, table, where, depth))
            else:
                raise problem(f"{spec.name.lower()} has no filter field '{key}'", where)
        return and_(true(), *parts)

    def field(self, spec: Field, ops: Mapping[str, Any], table: Any, path: Path) -> ColumnElement[bool]:
        if not isinstance(ops, Mapping):
            raise problem("expected operators", path)
        operators = OPERATORS[spec.kind]
        column = spec.column(table)
        parts = []
        for name, value in ops.items():
            if value is None:
                continue
            where = (*path, camel(name))
            operator = operators.get(name)
            if operator is None:
                raise problem(f"'{name}' does not apply to a {spec.kind} field", where)
            self.budget.conditions += 1
            if self.budget.conditions > MAX_CONDITIONS:
                raise problem(f"a filter may hold at most {MAX_CONDITIONS} conditions", where)
            parts.append(operator(column, checked(spec.kind, name, value, where), spec.nullable))
        return and_(true(), *parts)

    def conditions(self, spec: Conditions, items: Any, table: Any, path: Path) -> ColumnElement[bool]:
        if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
            raise problem("expected a list of conditions", path)
        self.budget.conditions += len(items)
        if self.budget.conditions > MAX_CONDITIONS:
            raise problem(f"a filter may hold at most {MAX_CONDITIONS} conditions", path)
        return and_(true(), *spec.sql(items, table, path))

    def relation(self, spec: Relation, flt: Any, outer: Any, path: Path, depth: int) -> ColumnElement[bool]:
        target = self.entities[spec.target]
        assert target.readable is not None, f"{target.name} cannot be the target of a relation"
        inner = target.table.alias()
        related = [target.readable(self.scope, inner), self.node(target, flt, inner, path, depth + 1)]
        outer_key, inner_key = outer.c[spec.outer_key], inner.c[spec.inner_key]
        if spec.many:
            # Never NULL in the list: `x IN (…, NULL)` is NULL, which `not` would not turn to true.
            return outer_key.in_(select(inner_key).where(inner_key.is_not(None), *related))
        return exists(select(1).select_from(inner).where(inner_key == outer_key, *related))

"""Where each supported field's value comes from: a column of the page's one statement.

A source stands for one kind of object in a row (an activity, a note, a user or team
joined to it). Asking it for a field registers the columns (and joins) the field needs
and returns a getter from the row to the field's response value, serialized by the
schema's own serializers and formatted by the functions Strawberry's types use
(`to_global_id`). A field a source does not know raises `Unsupported`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from graphql import GraphQLNamedType, GraphQLObjectType, GraphQLOutputType, get_named_type, is_object_type
from graphql.execution.collect_fields import FieldDetails
from sqlalchemy import Table

from graph import models
from resolvers.compiled.plan import Getter, PlanContext, Row, Unsupported, constant, leaf, no_arguments, nullable
from resolvers.ids import to_global_id
from schema.types.activities import GRAPHQL_NAMES

ACTIVITY_TABLE: Table = models.Activity.__table__  # type: ignore[assignment]
NOTE_TABLE: Table = models.Note.__table__  # type: ignore[assignment]
ACTIVITY_TYPE_NAMES = frozenset(GRAPHQL_NAMES.values())
PRINCIPAL_FIELDS = {"owner": "owner_id", "createdBy": "created_by_id", "modifiedBy": "modified_by_id"}
# Fields whose value is not simply their column (or need loaders): left to Strawberry.
ACTIVITY_NOT_COLUMNS = frozenset({"regarding", "parties", "categories", "fromNumber"})
NOTE_NOT_COLUMNS = frozenset({"attachments", "about"})
USER_COLUMNS = {"fullName": "name", "email": "email", "businessPhone": "business_phone",
                "mobilePhone": "mobile_phone", "isActive": "is_active", "timeZone": "time_zone"}
TEAM_COLUMNS = {"name": "name", "isActive": "is_active"}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Columns:
    """The statement's selected columns (by label, each once) and its extra outer joins."""

    def __init__(self, fixed: list[str]) -> None:
        self.labels: list[str] = list(fixed)
        self.expressions: list[Any] = []
        self.joins: list[tuple[Any, Any]] = []
        self._joined: dict[str, Any] = {}

    def index(self, label: str, expression: Any) -> int:
        if label in self.labels:
            return self.labels.index(label)
        self.labels.append(label)
        self.expressions.append(expression.label(label))
        return len(self.labels) - 1

    def join(self, name: str, make: Callable[[], tuple[Any, Any]]) -> Any:
        if name not in self._joined:
            target, onclause = make()
            self.joins.append((target, onclause))
            self._joined[name] = target
        return self._joined[name]

    def getter(self, label: str, expression: Any) -> Getter:
        i = self.index(label, expression)
        get = operator.itemgetter(i)
        return _ColumnGetter(get, i)


class _ColumnGetter:
    """A row's column, marked so that `leaf` can read it directly."""

    __slots__ = ("get", "column_index")

    def __init__(self, get: Any, index: int) -> None:
        self.get = get
        self.column_index = index

    def __call__(self, row: Row) -> Any:
        return self.get(row)


def project_object(ctx: PlanContext, field_type: GraphQLOutputType, details: list[FieldDetails],
                   source: Source) -> Getter:
    """An object, interface or union field: per runtime type, its collected fields in order."""
    named: GraphQLNamedType = get_named_type(field_type)
    runtime = [named] if is_object_type(named) else list(ctx.schema.get_possible_types(named))  # type: ignore[arg-type]
    per_type: dict[str, list[tuple[str, Getter]]] = {}
    for object_type in runtime:
        if object_type.name not in source.typenames:
            continue
        items: list[tuple[str, Getter]] = []
        for key, found in ctx.subfields(object_type, details).items():
            name = found[0].node.name.value
            if name == "__typename":
                items.append((key, constant(object_type.name)))
                continue
            definition = object_type.fields.get(name)
            if definition is None:
                raise Unsupported(f"{object_type.name}.{name}")
            items.append((key, source.field(ctx, object_type, name, definition.type, found)))
        per_type[object_type.name] = items
    typename = source.typename

    def project(row: Row) -> Any:
        name = typename(row)
        if name is None:
            return None
        return {key: get(row) for key, get in per_type[name]}

    return nullable(field_type, project)


class Source:
    typenames: frozenset[str] = frozenset()

    def typename(self, row: Row) -> str | None:
        raise NotImplementedError

    def field(self, ctx: PlanContext, object_type: GraphQLObjectType, name: str, field_type: GraphQLOutputType,
              details: list[FieldDetails]) -> Getter:
        raise NotImplementedError


class PrincipalSource(Source):
    """A user or team joined to the row by one of its id columns (a LEFT JOIN on the
    principals' primary key: the loader Strawberry uses reads every principal unscoped)."""

    typenames = frozenset({"User", "Team"})

    def __init__(self, columns: Columns, name: str, id_expression: Any) -> None:
        self.columns = columns
        self.prefix = f"p_{snake(name)}"
        table = columns.join(self.prefix, lambda: _principal_join(self.prefix, id_expression)).c
        self.table = table
        self._id = columns.getter(f"{self.prefix}_id", table.id)
        self._kind = columns.getter(f"{self.prefix}_kind", table.kind)

    def typename(self, row: Row) -> str | None:
        kind = self._kind(row)
        return None if kind is None else ("User" if kind == "user" else "Team")

    def field(self, ctx: PlanContext, object_type: GraphQLObjectType, name: str, field_type: GraphQLOutputType,
              details: list[FieldDetails]) -> Getter:
        no_arguments(details)
        if name == "id":
            return leaf(field_type, _memoised_global_id(object_type.name, self._id))
        column = (USER_COLUMNS if object_type.name == "User" else TEAM_COLUMNS).get(name)
        if column is None:
            raise Unsupported(f"{object_type.name}.{name}")
        return leaf(field_type, self.columns.getter(f"{self.prefix}_{column}", getattr(self.table, column)))


PRINCIPAL_IDS_MAX = 4096


def _memoised_global_id(type_name: str, get_id: Getter) -> Getter:
    """A principal's global id, remembered per uuid: a page names the same few owners and
    creators on most of its rows, and the ids never change (bounded: cleared when full)."""
    memo: dict[Any, str] = {}

    def global_id(row: Row) -> str:
        raw = get_id(row)
        found = memo.get(raw)
        if found is None:
            if len(memo) >= PRINCIPAL_IDS_MAX:
                memo.clear()
            found = memo[raw] = to_global_id(type_name, raw)
        return found

    return global_id


def _principal_join(prefix: str, id_expression: Any) -> tuple[Any, Any]:
    table = models.Principal.__table__.alias(prefix)
    return table, (table.c.id == id_expression)


class TableSource(Source):
    """An activity or a note: its columns under a label prefix, its principals joined."""

    table: Table
    not_columns: frozenset[str] = frozenset()

    def __init__(self, columns: Columns, prefix: str, principal_ids: Callable[[str], Any]) -> None:
        self.columns = columns
        self.prefix = prefix
        self.principal_ids = principal_ids
        self._id = self.column("id")

    def column(self, name: str) -> Getter:
        return self.columns.getter(f"{self.prefix}{name}", self.table.c[name])

    def field(self, ctx: PlanContext, object_type: GraphQLObjectType, name: str, field_type: GraphQLOutputType,
              details: list[FieldDetails]) -> Getter:
        if name in PRINCIPAL_FIELDS:
            no_arguments(details)
            principal = PrincipalSource(self.columns, name, self.principal_ids(PRINCIPAL_FIELDS[name]))
            return project_object(ctx, field_type, details, principal)
        no_arguments(details)
        if name == "id":
            get_id, type_name = self._id, object_type.name
            return leaf(field_type, lambda row: to_global_id(type_name, get_id(row)))
        if name == "isPersonal":
            regarding = self.column("regarding_id")
            return leaf(field_type, lambda row: regarding(row) is None)
        column = snake(name)
        if name in self.not_columns or column not in self.table.c:
            raise Unsupported(f"{object_type.name}.{name}")
        return leaf(field_type, self.column(column))


class ActivitySource(TableSource):
    table = ACTIVITY_TABLE
    typenames = ACTIVITY_TYPE_NAMES
    not_columns = ACTIVITY_NOT_COLUMNS

    def __init__(self, columns: Columns, prefix: str, principal_ids: Callable[[str], Any]) -> None:
        super().__init__(columns, prefix, principal_ids)
        self._type = self.column("type")

    def typename(self, row: Row) -> str | None:
        found = self._type(row)
        return None if found is None else GRAPHQL_NAMES[found]


class NoteSource(TableSource):
    table = NOTE_TABLE
    typenames = frozenset({"Note"})
    not_columns = NOTE_NOT_COLUMNS

    def typename(self, row: Row) -> str | None:
        return None if self._id(row) is None else "Note"


class EntrySource(Source):
    """A timeline entry: its activity, else its note (as `entry_node`)."""

    def __init__(self, activity: ActivitySource, note: NoteSource) -> None:
        self.activity = activity
        self.note = note
        self.typenames = activity.typenames | note.typenames

    def typename(self, row: Row) -> str | None:
        return self.activity.typename(row) or self.note.typename(row)

    def field(self, ctx: PlanContext, object_type: GraphQLObjectType, name: str, field_type: GraphQLOutputType,
              details: list[FieldDetails]) -> Getter:
        own = self.note if object_type.name == "Note" else self.activity
        return own.field(ctx, object_type, name, field_type, details)

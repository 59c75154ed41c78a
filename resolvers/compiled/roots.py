"""The supported root fields, each a connection read by one page statement (its count in it).

Arguments are coerced by graphql-core (`get_argument_values`, as execution does) and
turned into the graph's plain values by the resolvers' own functions (`page_request`,
the filters, `decode_id`); the statements come from graph/queries. A filter field this
module does not list falls back, so a new filter can never be silently ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, get_named_type
from graphql.execution.collect_fields import FieldDetails
from sqlalchemy import func

from graph import models
from graph.queries import activities as activity_queries
from graph.queries import paging
from graph.queries import timeline as timeline_queries
from graph.queries.json_rows import decoded
from graph.queries.keyset import signature
from graph.queries.paging import PageRequest
from graph.rules.access import Scope
from resolvers.activity_pages import activity_filter
from resolvers.compiled.plan import Fallback, Getter, PlanContext, Unsupported, constant, leaf
from resolvers.compiled.templates import Templates
from resolvers.compiled.sources import ActivitySource, Columns, EntrySource, NoteSource, project_object
from resolvers.ids import decode_id
from resolvers.pagination import encode_cursor, page_request
from resolvers.timeline import RECORD_TYPE_NAMES
from resolvers.timeline import _filter as timeline_filter

TIMELINE_FILTER_FIELDS = frozenset({"types", "states", "owner_ids", "since", "until", "text"})
ACTIVITY_FILTER_FIELDS = frozenset({"owner", "owner_ids", "types", "states", "state_group", "regarding",
                                    "regarding_none", "due_after", "due_before"})
# Always read: the entry's activity and note ids say which it is; the sort columns make cursors.
ACTIVITY_KEY_COLUMNS = ("id", "type", "due", "priority", "created_on", "modified_on")


TIMELINE_ARGUMENTS = frozenset({"record_id", "filter", "rollup", "first", "after", "last", "before"})
ACTIVITY_ARGUMENTS = frozenset({"filter", "order_by", "first", "after", "last", "before"})


def only_known_arguments(args: dict[str, Any], known: frozenset[str]) -> None:
    """An argument the compiled path does not pass on (`where`, or one added to the schema
    later) falls back whole: ignoring it would answer other rows than Strawberry."""
    if any(value is not None and name not in known for name, value in args.items()):
        raise Fallback("argument not compiled")


def only_known_fields(given: Any, known: frozenset[str]) -> None:
    """A filter with a field the compiled path does not pass on falls back whole."""
    if given is None:
        return
    values = vars(given) if hasattr(given, "__dict__") else {}
    if any(value is not None and name not in known for name, value in values.items()):
        raise Fallback("filter field not compiled")


class Page:
    """One page's rows, as the connection's fields read them."""

    __slots__ = ("rows", "has_next", "has_previous", "cursor", "total")

    def __init__(self, rows: list[Any], has_next: bool, has_previous: bool, cursor: Callable[[Any], str],
                 total: int | None) -> None:
        self.rows = rows
        self.has_next = has_next
        self.has_previous = has_previous
        self.cursor = cursor
        self.total = total


def connection_projection(ctx: PlanContext, connection_type: GraphQLObjectType, details: list[FieldDetails],
                          node: Callable[[Any, list[FieldDetails]], Getter],
                          edge_extras: Callable[[str, Any], Getter] | None = None) -> tuple[Callable[[Page], Any], bool]:
    """The connection's fields (edges, nodes, pageInfo, totalCount) from a Page; and
    whether totalCount was selected (then the count statement runs)."""
    items: list[tuple[str, Callable[[Page], Any]]] = []
    wants_total = False
    for key, found in ctx.subfields(connection_type, details).items():
        name = found[0].node.name.value
        if name == "__typename":
            items.append((key, constant(connection_type.name)))
        elif name == "totalCount":
            wants_total = True
            items.append((key, lambda page: page.total))
        elif name == "nodes":
            project = node(connection_type.fields[name].type, found)
            items.append((key, lambda page, project=project: [project(r) for r in page.rows]))
        elif name == "edges":
            items.append((key, _edges(ctx, connection_type.fields[name], found, node, edge_extras)))
        elif name == "pageInfo":
            items.append((key, _page_info(ctx, connection_type.fields[name], found)))
        else:
            raise Unsupported(f"{connection_type.name}.{name}")
    return (lambda page: {key: get(page) for key, get in items}), wants_total


def _edges(ctx: PlanContext, definition: GraphQLField, details: list[FieldDetails],
           node: Callable[[Any, list[FieldDetails]], Getter],
           extras: Callable[[str, Any], Getter] | None) -> Callable[[Page], Any]:
    edge_type = get_named_type(definition.type)
    assert isinstance(edge_type, GraphQLObjectType)
    items: list[tuple[str, Callable[[Page, Any], Any]]] = []
    for key, found in ctx.subfields(edge_type, details).items():
        name = found[0].node.name.value
        if name == "__typename":
            items.append((key, lambda _page, _row, n=edge_type.name: n))
        elif name == "cursor":
            items.append((key, lambda page, row: page.cursor(row)))
        elif name == "node":
            project = node(edge_type.fields[name].type, found)
            items.append((key, lambda _page, row, project=project: project(row)))
        elif extras is not None:
            get = extras(name, edge_type.fields[name].type)
            items.append((key, lambda _page, row, get=get: get(row)))
        else:
            raise Unsupported(f"{edge_type.name}.{name}")
    return lambda page: [{key: get(page, row) for key, get in items} for row in page.rows]


def _page_info(ctx: PlanContext, definition: GraphQLField, details: list[FieldDetails]) -> Callable[[Page], Any]:
    info_type = get_named_type(definition.type)
    assert isinstance(info_type, GraphQLObjectType)
    values: dict[str, Callable[[Page], Any]] = {
        "hasNextPage": lambda page: page.has_next,
        "hasPreviousPage": lambda page: page.has_previous,
        "startCursor": lambda page: page.cursor(page.rows[0]) if page.rows else None,
        "endCursor": lambda page: page.cursor(page.rows[-1]) if page.rows else None,
        "__typename": lambda _page: info_type.name,
    }
    items = []
    for key, found in ctx.subfields(info_type, details).items():
        name = found[0].node.name.value
        if name not in values:
            raise Unsupported(f"PageInfo.{name}")
        items.append((key, values[name]))
    return lambda page: {key: get(page) for key, get in items}


class TimelineRoot:
    """`timeline(recordId, filter, rollup, first, after, last, before)`: graph.queries.timeline's
    page statement, with only the selected columns of each entry's activity or note."""

    FIXED = ["record_id", "entry_id", "sort_key", "entry_type", "relation"]

    def __init__(self, ctx: PlanContext, definition: GraphQLField, details: list[FieldDetails]) -> None:
        self.definition = definition
        self.node = details[0].node
        self.columns = columns = Columns(self.FIXED)
        activity_ids = {name: models.Activity.__table__.c[name] for name in ("owner_id", "created_by_id", "modified_by_id")}
        note_ids = {name: models.Note.__table__.c[name] for name in activity_ids}
        principal_ids = lambda column: func.coalesce(activity_ids[column], note_ids[column])  # noqa: E731
        activity = ActivitySource(columns, "a_", principal_ids)
        note = NoteSource(columns, "n_", principal_ids)
        self.activity_id, self.note_id = columns.labels.index("a_id"), columns.labels.index("n_id")
        self._caps: dict[Any, int | None] = {}
        entries = EntrySource(activity, note)
        connection_type = get_named_type(definition.type)
        assert isinstance(connection_type, GraphQLObjectType)
        self.project, self.wants_total = connection_projection(
            ctx, connection_type, details, lambda t, found: project_object(ctx, t, found, entries), self._edge_field)

    def _edge_field(self, name: str, field_type: Any) -> Getter:
        index = {"entryType": 3, "date": 2, "relation": 4}.get(name)
        if index is None:
            raise Unsupported(f"TimelineEdge.{name}")
        return leaf(field_type, lambda row: row[index])

    async def run(self, reads: Templates, scope: Scope, ctx: PlanContext) -> Any:
        args = ctx.arguments(self.definition, self.node)
        only_known_arguments(args, TIMELINE_ARGUMENTS)
        given = args.get("filter")
        only_known_fields(given, TIMELINE_FILTER_FIELDS)
        raw_id = decode_id(args["record_id"], RECORD_TYPE_NAMES, ("recordId",))
        flt = timeline_filter(given)
        rollup = args["rollup"].value
        request = page_request(timeline_queries.KEYS, args.get("first"), args.get("after"), args.get("last"),
                               args.get("before"))
        after, before = list(request.after or ()), list(request.before or ())
        columns = self.columns

        def build(values: Sequence[Any]) -> list[Any]:
            record_id = values[0]
            bounds = PageRequest(first=request.first, last=request.last,
                                 after=list(values[1:1 + len(after)]) if request.after is not None else None,
                                 before=list(values[1 + len(after):]) if request.before is not None else None)
            # With totalCount, the counts ride on the page's statement as one more column
            # (one round trip for both; the database evaluates them once either way) —
            # except on EXTENDED, whose page and counts each name their own `tree` CTE.
            folded = self.wants_total and rollup != "EXTENDED"
            counts = [timeline_queries.counts_column(scope, record_id, flt, rollup)] if folded else []
            statement = timeline_queries.page_statement(scope, record_id, flt, rollup, bounds,
                                                        *columns.expressions, *counts)
            for target, onclause in columns.joins:
                statement = statement.outerjoin(target, onclause)
            if self.wants_total and not folded:
                return [statement, timeline_queries.counts_statement(scope, record_id, flt, rollup)[0]]
            return [statement]

        shape = (id(self), flt, rollup, request.first, request.last, request.after is None, request.before is None)
        found = await reads.reads.fetch_prepared(reads.prepared(shape, scope, [raw_id, *after, *before], build))
        a, n = self.activity_id, self.note_id
        rows, has_next, has_previous = timeline_queries.page_window(
            found[0], request, lambda r: r[a] is not None or r[n] is not None)
        total = None
        if self.wants_total:
            cap = self._caps.get((flt, rollup), False)
            if cap is False:
                cap = self._caps[(flt, rollup)] = timeline_queries.counts_statement(scope, raw_id, flt, rollup)[1]
            groups = found[1] if len(found) > 1 else decoded(found[0][0][len(columns.labels)])
            total = timeline_queries.tally(groups, cap).total
        keys = timeline_queries.KEYS
        return self.project(Page(rows, has_next, has_previous, lambda r: encode_cursor(keys, (r[2], r[1])), total))


class ActivitiesRoot:
    """`activities(filter, orderBy, first, after, last, before)`: graph.queries.activities'
    list query, paged by graph.queries.paging, with owners and creators joined."""

    def __init__(self, ctx: PlanContext, definition: GraphQLField, details: list[FieldDetails]) -> None:
        self.definition = definition
        self.node = details[0].node
        self.columns = columns = Columns([])
        table = models.Activity.__table__
        activity = ActivitySource(columns, "", lambda column: table.c[column])
        for name in ACTIVITY_KEY_COLUMNS:
            activity.column(name)
        connection_type = get_named_type(definition.type)
        assert isinstance(connection_type, GraphQLObjectType)
        self.project, self.wants_total = connection_projection(
            ctx, connection_type, details, lambda t, found: project_object(ctx, t, found, activity))
        self.row_type = _row_type(columns.labels)

    async def run(self, reads: Templates, scope: Scope, ctx: PlanContext) -> Any:
        args = ctx.arguments(self.definition, self.node)
        only_known_arguments(args, ACTIVITY_ARGUMENTS)
        given = args.get("filter")
        only_known_fields(given, ACTIVITY_FILTER_FIELDS)
        flt = activity_filter(scope, given)
        keys = activity_queries.sort_keys([(o.field.value, o.direction.value == "DESC")
                                           for o in args.get("order_by") or []])
        request = page_request(keys, args.get("first"), args.get("after"), args.get("last"), args.get("before"))
        owners = list(flt.owner_ids) if flt.owner_ids is not None else []
        after, before = list(request.after or ()), list(request.before or ())
        columns = self.columns

        def build(values: Sequence[Any]) -> list[Any]:
            chosen = dataclasses.replace(flt, owner_ids=list(values[:len(owners)])) if flt.owner_ids is not None else flt
            rest = values[len(owners):]
            bounds = PageRequest(first=request.first, last=request.last,
                                 after=list(rest[:len(after)]) if request.after is not None else None,
                                 before=list(rest[len(after):]) if request.before is not None else None)
            listed = activity_queries.list_query(scope, chosen)
            query = listed.with_only_columns(*columns.expressions)
            for target, onclause in columns.joins:
                query = query.outerjoin(target, onclause)
            statements = [paging.page_statement(query, keys, bounds)]
            if self.wants_total:
                statements.append(paging.count_statement(listed.with_only_columns(models.Activity.id)))
            return statements

        shape = (id(self), _frozen(dataclasses.replace(flt, owner_ids=len(owners) if flt.owner_ids is not None else None)),
                 signature(keys), request.first, request.last, request.after is None, request.before is None)
        found = await reads.reads.fetch_prepared(reads.prepared(shape, scope, [*owners, *after, *before], build))
        row_type = self.row_type
        page = paging.page_of([row_type(r) for r in found[0]], keys, request)
        total = int(found[1][0][0] or 0) if self.wants_total else None
        position = activity_queries.position
        return self.project(Page(page.rows, page.has_next, page.has_previous,
                                 lambda r: encode_cursor(keys, position(r, keys)), total))


def _frozen(value: Any) -> Any:
    """A hashable copy of a filter (lists and sets as tuples), for template keys."""
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, *(_frozen(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value, key=repr))
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _row_type(labels: list[str]) -> type:
    """Rows whose columns are also attributes (the cursor reads `row.due`, `row.id`…)."""
    index = {label: i for i, label in enumerate(labels)}

    class ActivityRow(tuple):  # type: ignore[type-arg]
        __slots__ = ()

        def __getattr__(self, name: str) -> Any:
            try:
                return self[index[name]]
            except KeyError:
                raise AttributeError(name) from None

    return ActivityRow


ROOTS: dict[str, Any] = {"timeline": TimelineRoot, "activities": ActivitiesRoot}


def plan_root(ctx: PlanContext, root_type: GraphQLObjectType, name: str, details: list[FieldDetails]) -> Any:
    factory = ROOTS.get(name)
    if factory is None:
        raise Unsupported(f"Query.{name}")
    return factory(ctx, root_type.fields[name], details)

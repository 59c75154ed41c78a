"""A page of live events rendered by projection: the selection planned once, no per-event execution.

A replay page (or a burst) of 200 events was rendered by graphql-core once per event:
field collection, Strawberry's resolver wrappers and an awaitable per nested look-up, for
every field of every event — most of a replay's CPU (issue 22). Here the subscription's
selection is planned once per document, operation and variables: for every field a
getter that reads the attribute Strawberry's default resolver reads, or calls the field's
own resolver when it needs nothing but `self` and `info.context` (`Activity.owner` and
the like, whose loaders were filled for the visibility class). Values are serialized by
the schema's own scalar and enum types, runtime types are the Strawberry types' own
names, and fields are collected by the executor's own `collect_subfields` (aliases,
fragments, `@include`/`@skip`, in execution order). So the page's results are what
graphql-core gives, built in one pass; their nested look-ups still go to the loaders in
one batch per kind of row.

Anything else falls back to graphql-core for the whole page, as before: at plan time a
field with arguments, field extensions or permission classes, an async resolver, a
resolver that wants more than `self` and `info`, `@defer`/`@stream`, resolve middleware;
at run time any exception, a null in a non-null position, a runtime type the plan does
not know (`Abandoned`: nothing was sent, the page is executed instead, so errors,
masking and paths are exactly graphql-core's).
"""

from __future__ import annotations

import asyncio
import inspect
import operator
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    Undefined,
    is_abstract_type,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields

# The directives the compiled read path plans are the ones a page projection plans.
from resolvers.compiled.plan import ALLOWED_DIRECTIVES


class Unsupported(Exception):
    """The document asks something this projection does not plan (graphql-core renders it)."""


class Abandoned(Exception):
    """Something unusual at run time: the page goes to graphql-core instead."""


@dataclass(slots=True)
class Run:
    """One page's projection: values still awaited (loader futures) and where they go."""

    context: Any
    pending: list[tuple[Any, Any, Node, Any]] = field(default_factory=list)

    def later(self, target: Any, key: Any, node: Node, awaitable: Any) -> None:
        self.pending.append((target, key, node, awaitable))


class Node:
    """How one position of the response is completed from a resolved value."""

    non_null: bool = False

    def complete(self, value: Any, run: Run) -> Any:
        if value is None:
            if self.non_null:
                raise Abandoned  # graphql-core nulls the parent and adds an error: let it
            return None
        return self.complete_value(value, run)

    def complete_value(self, value: Any, run: Run) -> Any:
        """Complete a value that is not None."""
        raise NotImplementedError


class Leaf(Node):
    def __init__(self, serialize: Callable[[Any], Any], non_null: bool) -> None:
        self.serialize = serialize
        self.non_null = non_null

    def complete_value(self, value: Any, run: Run) -> Any:
        serialized = self.serialize(value)
        if serialized is None or serialized is Undefined:
            raise Abandoned
        return serialized


class ListOf(Node):
    def __init__(self, item: Node, non_null: bool) -> None:
        self.item = item
        self.non_null = non_null

    def complete_value(self, value: Any, run: Run) -> Any:
        if isinstance(value, (str, bytes, dict)):
            raise Abandoned
        completed: list[Any] = []
        for index, item in enumerate(value):
            completed.append(None)
            _fill(completed, index, self.item, item, run)
        return completed


@dataclass(slots=True)
class FieldGetter:
    key: str
    get: Callable[[Any, Run], Any]
    node: Node


class ObjectOf(Node):
    """An object, interface or union position: per runtime type, its fields in order."""

    def __init__(self, per_type: dict[str, list[FieldGetter]], non_null: bool) -> None:
        self.per_type = per_type
        self.non_null = non_null

    def complete_value(self, value: Any, run: Run) -> Any:
        definition = getattr(type(value), "__strawberry_definition__", None)
        fields = self.per_type.get(definition.name) if definition is not None else None
        if fields is None:
            raise Abandoned
        completed: dict[str, Any] = {}
        for getter in fields:
            completed[getter.key] = None  # the key's place, as execution orders it
            _fill(completed, getter.key, getter.node, getter.get(value, run), run)
        return completed


def _fill(target: Any, key: Any, node: Node, value: Any, run: Run) -> None:
    if inspect.isawaitable(value):
        run.later(target, key, node, value)
    else:
        target[key] = node.complete(value, run)


class ContextOnly:
    """The `info` a planned resolver gets: its context, nothing else (anything else it
    reads raises, and the page is rendered by graphql-core)."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


@dataclass(frozen=True, slots=True)
class Plan:
    root_key: str
    root: Node

    async def render(self, values: list[Any], context: Any) -> list[dict[str, Any]]:
        """Each value's `data`, in order; Abandoned when any needs graphql-core."""
        run = Run(context)
        results: list[dict[str, Any]] = []
        for value in values:
            data: dict[str, Any] = {self.root_key: None}
            _fill(data, self.root_key, self.root, value, run)
            results.append(data)
        while run.pending:
            pending, run.pending = run.pending, []
            resolved = await asyncio.gather(*(awaitable for _, _, _, awaitable in pending))
            for (target, key, node, _), value in zip(pending, resolved, strict=True):
                target[key] = node.complete(value, run)
        return results


class Planner:
    """Plans of one executor's document, operation and variables (see the module's doc)."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self.schema = executor.schema
        self._names: dict[str, dict[str, Any]] = {}

    def plan(self) -> Plan:
        executor = self.executor
        middleware = executor.middleware_manager
        if middleware is not None and middleware.middlewares:
            raise Unsupported("resolve middleware")
        root_type = self.schema.subscription_type
        if root_type is None:
            raise Unsupported("no subscription type")
        collected = collect_fields(self.schema, executor.fragments, executor.variable_values, root_type,
                                   executor.operation, executor.hide_suggestions)
        grouped = collected.grouped_field_set
        if collected.new_defer_usages or collected.forbidden_directive_instances or len(grouped) != 1:
            raise Unsupported("@defer, or not one root field")
        (root_key, details), = grouped.items()
        definition = root_type.fields.get(details[0].node.name.value)
        if definition is None:
            raise Unsupported("unknown root field")
        self._plain_directives(details)
        # The root field's value for an event is the event the resolver yielded.
        return Plan(root_key, self._node(definition.type, details))

    def _node(self, field_type: GraphQLOutputType, details: FieldDetailsList) -> Node:
        non_null = isinstance(field_type, GraphQLNonNull)
        inner = field_type.of_type if non_null else field_type
        if isinstance(inner, GraphQLList):
            return ListOf(self._node(inner.of_type, details), non_null)
        if isinstance(inner, (GraphQLScalarType, GraphQLEnumType)):
            return Leaf(inner.serialize, non_null)
        if isinstance(inner, GraphQLObjectType):
            return ObjectOf({inner.name: self._fields(inner, details)}, non_null)
        if is_abstract_type(inner):
            possible = self.schema.get_possible_types(inner)  # type: ignore[arg-type]
            return ObjectOf({t.name: self._fields(t, details) for t in possible}, non_null)
        raise Unsupported(str(inner))

    def _fields(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> list[FieldGetter]:
        collected = self.executor.collect_subfields(object_type, details)
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Unsupported("@defer")
        grouped = collected.grouped_field_set
        getters: list[FieldGetter] = []
        for key, found in grouped.items():
            self._plain_directives(found)
            name = found[0].node.name.value
            if name == "__typename":
                typename = object_type.name
                getters.append(FieldGetter(key, lambda _v, _r, t=typename: t, Leaf(str, True)))
                continue
            definition = object_type.fields.get(name)
            if definition is None or definition.args:
                raise Unsupported(f"{object_type.name}.{name}")
            getters.append(FieldGetter(key, self._getter(object_type, name), self._node(definition.type, found)))
        return getters

    def _getter(self, object_type: GraphQLObjectType, name: str) -> Callable[[Any, Run], Any]:
        strawberry_field = self._strawberry_fields(object_type).get(name)
        if strawberry_field is None or strawberry_field.extensions or strawberry_field.permission_classes:
            raise Unsupported(f"{object_type.name}.{name}")
        resolver = strawberry_field.base_resolver
        if resolver is None:
            attribute = operator.attrgetter(strawberry_field.python_name)
            return lambda value, _run: attribute(value)
        if (resolver.is_async or resolver.arguments or resolver.root_parameter is not None
                or resolver.parent_parameter is not None or resolver.self_parameter is None):
            raise Unsupported(f"{object_type.name}.{name}")
        function = resolver.wrapped_func
        info = resolver.info_parameter
        if info is None:
            return lambda value, _run: function(value)
        info_name = info.name
        return lambda value, run: function(value, **{info_name: ContextOnly(run.context)})

    def _strawberry_fields(self, object_type: GraphQLObjectType) -> dict[str, Any]:
        known = self._names.get(object_type.name)
        if known is None:
            definition = (object_type.extensions or {}).get("strawberry-definition")
            if definition is None:
                raise Unsupported(object_type.name)
            converter = self._name_converter()
            known = {converter.from_field(f): f for f in definition.fields}
            self._names[object_type.name] = known
        return known

    def _name_converter(self) -> Any:
        strawberry_schema = self.schema.extensions.get("strawberry-definition") if self.schema.extensions else None
        if strawberry_schema is None:
            raise Unsupported("not a Strawberry schema")
        return strawberry_schema.config.name_converter

    @staticmethod
    def _plain_directives(details: FieldDetailsList) -> None:
        for detail in details:
            for directive in detail.node.directives or ():
                if directive.name.value not in ALLOWED_DIRECTIVES:
                    raise Unsupported(f"@{directive.name.value}")


class Plans:
    """Plans by (document, operation, variables); a document found unsupported is
    remembered as such. The newest `size` kept."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.projected = 0  # pages rendered by projection (stats, tests)
        self.fell_back = 0  # pages graphql-core rendered instead
        self._plans: OrderedDict[Hashable, Plan | None] = OrderedDict()

    def get(self, key: Hashable, executor: Any) -> Plan | None:
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        try:
            plan: Plan | None = Planner(executor).plan()
        except Unsupported:
            plan = None
        self._plans[key] = plan
        while len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return plan

"""What planning needs from a validated document, and the two ways of giving up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_nullable_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.schema.schema_converter import get_arguments

Row = Any
Getter = Callable[[Row], Any]
ALLOWED_DIRECTIVES = frozenset({"include", "skip"})


class Unsupported(Exception):
    """The planner does not compile this document (or this part of it): Strawberry runs it."""


class Fallback(Exception):
    """A compiled run met something only Strawberry answers (an error, a rare value)."""


@dataclass(frozen=True)
class PlanContext:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variables: VariableValues
    operation: OperationDefinitionNode
    strawberry: Any  # the Strawberry schema: its argument conversion

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """A field's arguments exactly as its resolver would receive them: coerced by
        graphql-core, then converted by Strawberry (input classes, enums, python names)."""
        coerced = get_argument_values(definition, node, self.variables)
        _, kwargs = get_arguments(field=definition.extensions["strawberry-definition"], source=None,
                                  info=None, kwargs=coerced, config=self.strawberry.config,  # type: ignore[arg-type]
                                  scalar_registry=self.strawberry.schema_converter.scalar_registry)
        return kwargs

    def subfields(self, runtime_type: GraphQLObjectType, details: list[FieldDetails]) -> dict[str, list[FieldDetails]]:
        """The fields selected on `runtime_type` under `details`, by response key, in
        execution order: graphql-core's own collection (fragments, type conditions,
        @include/@skip with this plan's variable values)."""
        collected = collect_subfields(self.schema, self.fragments, self.variables, self.operation,
                                      runtime_type, details)
        if collected.new_defer_usages:
            raise Unsupported("@defer")
        for found in collected.grouped_field_set.values():
            for detail in found:
                if any(d.name.value not in ALLOWED_DIRECTIVES for d in detail.node.directives or ()):
                    raise Unsupported("directive")
                if detail.fragment_variable_values is not None:
                    raise Unsupported("fragment variables")
        return collected.grouped_field_set


def no_arguments(details: list[FieldDetails]) -> None:
    if any(d.node.arguments for d in details):
        raise Unsupported("arguments on a field the planner reads from a column")


def nullable(field_type: GraphQLOutputType, project: Getter) -> Getter:
    """`project` under the field's nullability: null in a non-null field is Strawberry's
    error to report (with its path), so the run falls back."""
    if not is_non_null_type(field_type):
        return project

    def required(row: Row) -> Any:
        value = project(row)
        if value is None:
            raise Fallback("null in a non-null field")
        return value

    return required


def leaf(field_type: GraphQLOutputType, get: Getter) -> Getter:
    """A scalar or enum through the schema's own serializer (enums memoised per value).
    A getter that reads one column (`Columns.getter`) is fused into one function."""
    named = get_nullable_type(field_type)
    if is_list_type(named) or not hasattr(named, "serialize"):
        raise Unsupported("list or object where a leaf was expected")
    serialize = named.serialize
    if isinstance(named, GraphQLEnumType):
        memo: dict[Any, Any] = {}

        def serialize_enum(value: Any) -> Any:
            found = memo.get(value)
            if found is None:
                found = memo[value] = named.serialize(value)
            return found

        serialize = serialize_enum
    required = is_non_null_type(field_type)
    index = getattr(get, "column_index", None)
    if index is not None:
        if required:
            def column_required(row: Row) -> Any:
                value = row[index]
                if value is None:
                    raise Fallback("null in a non-null field")
                return serialize(value)
            return column_required

        def column(row: Row) -> Any:
            value = row[index]
            return None if value is None else serialize(value)
        return column

    def project(row: Row) -> Any:
        value = get(row)
        return None if value is None else serialize(value)

    return nullable(field_type, project)


def constant(value: Any) -> Getter:
    return lambda _row: value

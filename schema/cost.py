"""A query cost limit (R-API-3): page sizes multiplied along nested lists, summed.

Depth, alias and token limits bound how a document *looks*; they do not bound how much it
*asks for*: `accounts(first: 500) { … timeline(first: 500) { … } }` is shallow and short
yet resolves 250,000 entries. The cost estimate is:

- every field that returns an object (or a list of objects) costs the number of times it
  is resolved: the product of the page sizes of the lists around it, times its own page
  size when it is a list itself (a connection is resolved once, its `edges`/`nodes` once
  per item of the page: `accounts(first: 500) { edges { node { id } } }` costs 1 + 500 + 500);
- a paged field's page size is its `first` or `last` argument (the larger when both are
  given), else the argument's default in the schema, else the server's default page size;
- a list field with a list argument (`nodes(ids: …)`) costs one per element;
- other lists (an activity's parties, a note's attachments) are short lists of one parent
  and count as one; scalar fields are free;
- a rich filter (`where:`, R-QRY-1) adds, per time its field is resolved, one per
  condition and more per relation (schema/filter_cost.py).

The estimate needs variable values (`first: $n`), which graphql-core's validation rules
never see, so this runs as a schema extension in the validation step, once the document
is known valid, with the request's variables, and answers like a validation error:
nothing is executed and the message says the computed cost and the budget
(`RELATE_MAX_COST`). It must be listed after `ValidationCache` in `build_schema`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from schema.filter_cost import filter_cost
from strawberry.schema.schema import validate_document

COST_CODE = "QUERY_TOO_COSTLY"
PAGE_ARGUMENTS = ("first", "last")
ITEM_FIELDS = ("edges", "nodes")


class QueryTooCostly(GraphQLError):
    def __init__(self, cost: int, budget: int, node: Any = None) -> None:
        super().__init__(
            f"query cost {cost:,} exceeds the limit of {budget:,} (every object field counts once per "
            f"item of the pages around it: ask for smaller pages or fewer nested lists)",
            nodes=node,
            extensions={"code": COST_CODE, "cost": cost, "maxCost": budget},
        )


def _unwrap(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return type_


def _value(node: ValueNode | None, variables: Mapping[str, Any]) -> Any:
    """A literal or a variable's value, as far as the cost needs it (ints and list lengths)."""
    if node is None:
        return None
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        try:
            return int(node.value)
        except ValueError:
            return None
    if isinstance(node, ListValueNode):
        return list(node.values)
    return None


def _is_connection(named: GraphQLNamedType, definition: GraphQLField) -> bool:
    fields = getattr(named, "fields", None) or {}
    return any(name in definition.args for name in PAGE_ARGUMENTS) and any(f in fields for f in ITEM_FIELDS)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class CostEstimator:
    """Walks one operation and sums what it asks for, as if fragments were expanded (each is
    walked at most twice, see `_fragment`); `visits` counts the selections it looked at."""

    def __init__(self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any], default_page_size: int) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page_size = default_page_size
        self.visits = 0
        self._per_fragment: dict[tuple[str, bool], tuple[int, int]] = {}

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return 0 if root is None else self._selection(root, operation.selection_set, 1, ())

    def _selection(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, times: int,
                   seen: tuple[str, ...], items: int | None = None) -> int:
        """`times`: how often this selection set is resolved; `items`: for a connection, how
        many items its page holds (what `edges` and `nodes` are resolved per)."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                per_item = items is not None and selection.name.value in ITEM_FIELDS
                total += self._field(parent, selection, items if per_item else times, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selection(target or parent, selection.selection_set, times, seen, items)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(parent, selection.name.value, times, seen, items)
        return total

    def _fragment(self, parent: GraphQLNamedType, name: str, times: int, seen: tuple[str, ...],
                  items: int | None) -> int:
        """A fragment's cost is linear in `times` and `items` (`a·times + b·items`): the two
        coefficients are worked out once per fragment, so a fragment spread 2^n times over
        is costed in time linear in the document, not in its expansion."""
        fragment = self.fragments.get(name)
        if fragment is None or name in seen:
            return 0  # validation refuses both; never loop
        key = (name, items is None)
        coefficients = self._per_fragment.get(key)
        if coefficients is None:
            target = self.schema.get_type(fragment.type_condition.name.value) or parent
            inner = (*seen, name)
            if items is None:
                coefficients = (self._selection(target, fragment.selection_set, 1, inner), 0)
            else:
                coefficients = (self._selection(target, fragment.selection_set, 1, inner, 0),
                                self._selection(target, fragment.selection_set, 0, inner, 1))
            self._per_fragment[key] = coefficients
        per_time, per_item = coefficients
        return per_time * times + per_item * (items or 0)

    def _field(self, parent: GraphQLNamedType, node: FieldNode, times: int, seen: tuple[str, ...]) -> int:
        definition = self._definition(parent, node.name.value)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
            return 0
        resolved = times * self._multiplier(definition, node)
        filtered = times * filter_cost(definition, node, self.variables)
        if _is_connection(named, definition):
            # The connection is resolved once; its page of `edges`/`nodes` once per item.
            return times + filtered + self._selection(named, node.selection_set, times, seen, items=resolved)
        return resolved + filtered + self._selection(named, node.selection_set, resolved, seen)

    @staticmethod
    def _definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None

    def _multiplier(self, definition: GraphQLField, node: FieldNode) -> int:
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        paged = [name for name in PAGE_ARGUMENTS if name in definition.args]
        if paged:
            sizes = [_int(_value(given.get(name), self.variables)) for name in paged if name in given]
            sizes = [s for s in sizes if s is not None]
            if sizes:
                return max(0, max(sizes))
            for name in paged:
                default = _int(definition.args[name].default_value)
                if default is not None:
                    return max(0, default)
            return self.default_page_size
        if isinstance(_unwrap(definition.type), GraphQLList):
            for name, argument in definition.args.items():
                if isinstance(_unwrap(argument.type), GraphQLList) and name in given:
                    value = _value(given[name], self.variables)
                    if isinstance(value, list):
                        return max(1, len(value))
        return 1


def estimate_cost(schema: GraphQLSchema, document: Any, operation_name: str | None,
                  variables: Mapping[str, Any] | None, default_page_size: int) -> tuple[int, Any]:
    """The cost of the operation that will run, and its node (for the error's location)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0, None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    estimator = CostEstimator(schema, fragments, variables or {}, default_page_size)
    return estimator.operation(operation), operation


class CostLimiter(SchemaExtension):
    """Refuses, after validation and before execution, an operation over the cost budget."""

    def __init__(self, *, max_cost: int, default_page_size: int) -> None:
        super().__init__()
        self.max_cost = max_cost
        self.default_page_size = default_page_size

    def on_validate(self) -> Iterator[None]:
        # Before the yield: Strawberry decides whether to execute inside the validation
        # step, so an error added after it would come too late. Listed after
        # ValidationCache, whose result is then already here; without it, validate first.
        context = self.execution_context
        if context.graphql_document is not None and self.max_cost > 0:
            if context.pre_execution_errors is None and context.validation_rules:
                context.pre_execution_errors = validate_document(
                    context.schema._schema, context.graphql_document, context.validation_rules)
            if not context.pre_execution_errors:
                variables = context.variables if isinstance(context.variables, Mapping) else {}
                cost, operation = estimate_cost(context.schema._schema, context.graphql_document,
                                                context.operation_name, variables, self.default_page_size)
                if cost > self.max_cost:
                    # A new list: the validation cache may share the one it holds between requests.
                    context.pre_execution_errors = [QueryTooCostly(cost, self.max_cost, operation)]
        yield

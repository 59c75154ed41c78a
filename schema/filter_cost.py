"""What a rich filter (R-QRY-1) adds to a query's cost (R-API-3).

A `where:` argument is counted once per time its field is resolved: one per field
condition (operator, or custom-field condition), and RELATION_COST per relation, which is an EXISTS the database
evaluates for every candidate row. With the depth and condition caps of the translator
(graph/queries/filters.py) this keeps `accounts(first: 500) { … timeline(where: …) }`
from multiplying an expensive filter by a large page unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLInputObjectType, get_named_type, value_from_ast_untyped

RELATION_COST = 10
LOGICAL = ("and", "or", "not")


def _is_where(type_: Any) -> bool:
    return isinstance(type_, GraphQLInputObjectType) and type_.name.endswith("Where")


def where_cost(type_: GraphQLInputObjectType, value: Any) -> int:
    """The cost of one `…Where` value (already with its variables in)."""
    if isinstance(value, list):
        return sum(where_cost(type_, item) for item in value)
    if not isinstance(value, Mapping):
        return 0
    total = 0
    for key, given in value.items():
        definition = type_.fields.get(key)
        if definition is None or given is None:
            continue
        named = get_named_type(definition.type)
        if _is_where(named):
            total += (0 if key in LOGICAL else RELATION_COST) + where_cost(named, given)
        elif isinstance(given, Mapping):
            total += sum(1 for v in given.values() if v is not None)
        elif isinstance(given, list):  # custom-field conditions (`customFields`): one each
            total += sum(1 for v in given if v is not None)
    return total


def filter_cost(definition: GraphQLField, node: FieldNode, variables: Mapping[str, Any]) -> int:
    """The cost of the filters given to one field, per time the field is resolved."""
    total = 0
    for argument in node.arguments or ():
        spec = definition.args.get(argument.name.value)
        named = get_named_type(spec.type) if spec is not None else None
        if _is_where(named):
            total += where_cost(named, value_from_ast_untyped(argument.value, variables))
    return total

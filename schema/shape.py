"""Depth, aliases and size of a GraphQL document, every fragment measured once (R-API-3).

Why not Strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter`: they expand a fragment
each time it is spread. A 1 KB document whose fragments each spread the previous one twice
expands to 2^n selections, so 20 levels cost seconds of CPU, 24 levels minutes and 40 levels
more memory than the host has, all before anything is refused and without a token.

Here a fragment's shape (its depth, its aliases, its fields once expanded) is computed the
first time it is met and reused at every other spread: the walk visits each node of the
document once, however the fragments multiply. The expanded field count is what the bomb
blows up, so it has a limit of its own (`RELATE_MAX_SELECTIONS`); with it in place every
later walk that expands fragments (the cost estimate, execution) is bounded too.

Depth counts like Strawberry's limiter did (a field with a selection set is one level;
introspection fields, `__schema` and friends, are not counted), so GraphiQL keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

TOO_COMPLEX = "QUERY_TOO_COMPLEX"


@dataclass(frozen=True, slots=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    fields: int = 0  # field selections once every fragment spread is expanded

    def beside(self, other: Shape) -> Shape:
        """Two selections of one selection set: the deeper depth, the sums of the rest."""
        return Shape(max(self.depth, other.depth), self.aliases + other.aliases, self.fields + other.fields)


EMPTY = Shape()


class ShapeMeter:
    """Measures selection sets of one document; `visits` counts the nodes it looked at."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.visits = 0
        self._measured: dict[str, Shape] = {}
        self._open: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None) -> Shape:
        shape = EMPTY
        for selection in selection_set.selections if selection_set else ():
            self.visits += 1
            if isinstance(selection, FieldNode):
                shape = shape.beside(self._field(selection))
            elif isinstance(selection, InlineFragmentNode):
                shape = shape.beside(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                shape = shape.beside(self.fragment(selection.name.value))
        return shape

    def fragment(self, name: str) -> Shape:
        known = self._measured.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self._open:
            return EMPTY  # unknown or cyclic: graphql-core's own rules refuse both
        self._open.add(name)
        shape = self.selection_set(definition.selection_set)
        self._open.discard(name)
        self._measured[name] = shape
        return shape

    def _field(self, node: FieldNode) -> Shape:
        inner = self.selection_set(node.selection_set)
        counted = node.selection_set is not None and not node.name.value.startswith("__")
        return Shape(1 + inner.depth if counted else 0, inner.aliases + (1 if node.alias else 0), 1 + inner.fields)


def measure(document: DocumentNode) -> tuple[dict[OperationDefinitionNode, Shape], int]:
    """Each operation's shape, and how many nodes the measuring visited (for tests)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    meter = ShapeMeter(fragments)
    shapes = {d: meter.selection_set(d.selection_set) for d in document.definitions
              if isinstance(d, OperationDefinitionNode)}
    return shapes, meter.visits


def refusals(operation: OperationDefinitionNode, shape: Shape, max_depth: int, max_aliases: int,
             max_fields: int) -> list[GraphQLError]:
    name = operation.name.value if operation.name else "anonymous"
    found: list[GraphQLError] = []
    if max_depth > 0 and shape.depth > max_depth:
        found.append(GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", [operation],
                                  extensions={"code": TOO_COMPLEX, "limit": "depth", "max": max_depth}))
    if max_aliases > 0 and shape.aliases > max_aliases:
        found.append(GraphQLError(f"{shape.aliases} aliases found. Allowed: {max_aliases}", [operation],
                                  extensions={"code": TOO_COMPLEX, "limit": "aliases", "max": max_aliases}))
    if max_fields > 0 and shape.fields > max_fields:
        found.append(GraphQLError(
            f"'{name}' selects {shape.fields:,} fields once its fragments are expanded; the limit is "
            f"{max_fields:,} (spread fewer fragments, or each fewer times)", [operation],
            extensions={"code": TOO_COMPLEX, "limit": "selections", "max": max_fields}))
    return found


def shape_rule(max_depth: int, max_aliases: int, max_fields: int) -> type[ValidationRule]:
    """A validation rule class (made once: the validation cache is keyed by the rules)."""

    class DocumentShapeRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            shapes, _ = measure(context.document)
            for operation, shape in shapes.items():
                for error in refusals(operation, shape, max_depth, max_aliases, max_fields):
                    context.report_error(error)

    return DocumentShapeRule

"""Validated documents → plans (cached), and running a plan to response bytes.

A plan is made per (document, operation, values of the variables that @include/@skip
read): field collection then happens once, at planning, exactly as graphql-core's
execution would do it for those values. Other variables bind at run time. Plans are
immutable and shared by every viewer: the viewer's scope enters only when a plan runs,
through the graph/queries functions that build its statements.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    visit,
    Visitor,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields
from graphql.execution.values import get_variable_values

from graph.raw_reads import RawReads
from graph.rules.access import Scope
from resolvers.compiled.plan import Fallback, PlanContext, Unsupported
from resolvers.compiled.roots import plan_root
from resolvers.compiled.templates import Templates
from schema.cost import estimate_cost

log = logging.getLogger("relate.compiled")
PLANS_MAX = 1024
UNSUPPORTED = object()


@dataclass(frozen=True)
class Document:
    """A validated document's operation, fragments and the variables its directives read."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDetails]
    directive_variables: tuple[str, ...]


@dataclass(frozen=True)
class Prepared:
    """A request whose plan is known: run it with the viewer's scope."""

    plan: Plan
    ctx: PlanContext


class Plan:
    def __init__(self, ctx: PlanContext) -> None:
        root_type = ctx.schema.query_type
        assert root_type is not None
        self.roots: list[tuple[str, Any]] = []
        grouped = collect_fields(ctx.schema, ctx.fragments, ctx.variables, root_type, ctx.operation)
        if grouped.new_defer_usages:
            raise Unsupported("@defer")
        for key, details in grouped.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                self.roots.append((key, root_type.name))
                continue
            if any(d.node.directives and any(x.name.value not in ("include", "skip") for x in d.node.directives)
                   for d in details):
                raise Unsupported("directive")
            self.roots.append((key, plan_root(ctx, root_type, name, details)))

    async def run(self, reads: Templates, scope: Scope, ctx: PlanContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, root in self.roots:
            data[key] = root if isinstance(root, str) else await root.run(reads, scope, ctx)
        return {"data": data}


class Planner:
    """One per app: its schema, the documents Strawberry validated, the plans made of them."""

    def __init__(self, strawberry_schema: Any, documents: Any, reads: RawReads, *, max_cost: int,
                 default_page_size: int) -> None:
        self.strawberry = strawberry_schema
        self.schema: GraphQLSchema = strawberry_schema._schema
        self.documents = documents
        self.reads = reads
        self.max_cost = max_cost
        self.default_page_size = default_page_size
        self._documents: dict[tuple[str, str | None], Document | object] = {}
        self._plans: OrderedDict[Any, Plan | object] = OrderedDict()
        self.templates = Templates(reads)

    def prepare(self, query: str, operation_name: str | None, variables: Mapping[str, Any] | None) -> Prepared | None:
        """The plan for this request, or None: Strawberry answers it (unknown or
        unsupported document, variables that do not coerce, over the cost budget)."""
        parsed = self.documents.get(query, operation_name)
        if parsed is None:
            return None
        document = self._document(query, parsed, operation_name)
        if document is None:
            return None
        coerced = get_variable_values(self.schema, document.operation.variable_definitions or (), dict(variables or {}))
        if isinstance(coerced, list):
            return None
        if self.max_cost > 0:
            cost, _ = estimate_cost(self.schema, document.document, operation_name, variables or {},
                                    self.default_page_size)
            if cost > self.max_cost:
                return None
        ctx = PlanContext(self.schema, document.fragments, coerced, document.operation, self.strawberry)
        key = (query, operation_name, tuple(coerced.coerced.get(n) for n in document.directive_variables))
        plan = self._plans.get(key)
        if plan is None:
            try:
                plan = Plan(ctx)
            except Unsupported as why:
                log.debug("not compiled: %s", why)
                plan = UNSUPPORTED
            except Exception:  # a planner bug must never cost an answer: Strawberry has one
                log.exception("planning failed; Strawberry answers")
                plan = UNSUPPORTED
            self._plans[key] = plan
            if len(self._plans) > PLANS_MAX:
                self._plans.popitem(last=False)
        return None if plan is UNSUPPORTED else Prepared(plan, ctx)  # type: ignore[arg-type]

    def _document(self, query: str, parsed: DocumentNode, operation_name: str | None) -> Document | None:
        found = self._documents.get((query, operation_name))
        if found is None:
            found = _document(parsed, operation_name) or UNSUPPORTED
            if len(self._documents) > PLANS_MAX:
                self._documents.clear()
            self._documents[(query, operation_name)] = found
        return None if found is UNSUPPORTED else found  # type: ignore[return-value]

    async def run(self, prepared: Prepared, scope: Scope) -> bytes | None:
        """The response bytes, or None when the run fell back (Strawberry answers)."""
        try:
            result = await prepared.plan.run(self.templates, scope, prepared.ctx)
        except Fallback as why:
            log.debug("compiled run fell back: %s", why)
            return None
        except Exception:  # DomainError (Strawberry reports it), a database failure, a bug: all Strawberry's
            log.debug("compiled run fell back", exc_info=True)
            return None
        return orjson.dumps(result)


def _document(parsed: DocumentNode, operation_name: str | None) -> Document | None:
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1 or (operation_name is None and len(operations) != 1):
        return None
    operation = chosen[0]
    if operation.operation != OperationType.QUERY:
        return None
    fragments: dict[str, FragmentDetails] = {}
    for definition in parsed.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None
            fragments[definition.name.value] = FragmentDetails(definition, None)
    return Document(parsed, operation, fragments, _directive_variables(parsed))


class _DirectiveVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: Any, *_args: Any) -> None:
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                self.names.add(argument.value.name.value)


def _directive_variables(document: DocumentNode) -> tuple[str, ...]:
    found = _DirectiveVariables()
    visit(document, found)
    return tuple(sorted(found.names))


__all__ = ["Planner", "Prepared"]

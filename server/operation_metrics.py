"""A synchronous Strawberry extension: one count and one latency sample per GraphQL operation.

Only `on_operation` is implemented, as a plain generator: no per-field hook and no
coroutine, so it costs the same whatever the page size (async per-field hooks cost 4–5×
on our pages, DESIGN §2). It is listed first among the schema's extensions, so it sees
the result after error masking: a masked bug counts as `internal`.

Operations are labelled by their root fields (`accounts`, `createTask`, `timeline+viewer`),
never by the client's operation name, so the label set stays bounded by the schema.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, GraphQLError
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from server import request_scope

MAX_FIELDS_IN_LABEL = 3


def describe(execution_context: Any) -> tuple[str, str]:
    """(label, type) of the operation run; ("unknown", "unknown") when it did not parse."""
    document = getattr(execution_context, "graphql_document", None)
    if document is None:
        return "unknown", "unknown"
    try:
        operation = get_operation_ast(document, execution_context.operation_name)
    except GraphQLError:
        operation = None
    if operation is None:
        return "unknown", "unknown"
    names = sorted({s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)})
    if not names:
        return "unknown", operation.operation.value
    label = "+".join(names[:MAX_FIELDS_IN_LABEL]) + ("+…" if len(names) > MAX_FIELDS_IN_LABEL else "")
    return label, operation.operation.value


def outcome(execution_context: Any) -> str:
    """ok; user_error (a mutation payload carried `errors`); error (a typed GraphQL error);
    rejected (did not parse or validate, or over a limit); internal (a masked bug);
    (and, from `on_operation`, cancelled: the client went away mid-way)."""
    result = execution_context.result
    errors = list(getattr(result, "errors", None) or execution_context.pre_execution_errors or [])
    # Parse and validation errors (limits included) point at no path: nothing was executed.
    if isinstance(result, PreExecutionError) or (errors and all(e.path is None for e in errors)):
        return "rejected"
    if errors:
        codes = {(e.extensions or {}).get("code") for e in errors}
        return "internal" if "INTERNAL" in codes else "error"
    data = getattr(result, "data", None)
    if isinstance(data, dict) and any(isinstance(v, dict) and v.get("errors") for v in data.values()):
        return "user_error"
    return "ok"


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        raised: BaseException | None = None
        try:
            yield
        except BaseException as exc:  # no query at all (HTTP 400), or the client went away
            raised = exc
            raise
        finally:
            scope = request_scope.current()
            observer = scope.observer if scope is not None else None
            if observer is not None:
                label, kind = describe(self.execution_context)
                scope.operation, scope.operation_type = label, kind  # type: ignore[union-attr]
                if raised is None:
                    result = outcome(self.execution_context)
                elif isinstance(raised, (asyncio.CancelledError, GeneratorExit)):
                    # A subscription's operation lasts as long as the stream: ending it is normal.
                    result = "ok" if kind == "subscription" else "cancelled"
                else:
                    result = "rejected"
                seconds = None if kind == "subscription" else time.perf_counter() - started
                observer.observe_operation(label, kind, result, seconds)

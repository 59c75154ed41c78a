"""build_schema(): the roots plus limits, masking and caches (SPEC §9, R-API-3)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from graphql.validation import NoSchemaIntrospectionCustomRule

from graph.db import WritesBusy
from graph.rules.errors import DomainError
from schema.cost import CostLimiter
from schema.mutation import Mutation
from schema.query import Query
from schema.shape import shape_rule
from schema.subscription import Subscription
from schema.types.activities import ACTIVITY_TYPES
from schema.types.notes import Attachment, Note
from schema.types.custom_fields import CUSTOM_FIELD_TYPES
from schema.types.records import Account, Contact
from schema.types.sales import SALES_TYPES
from schema.types.work_list import WORK_LIST_TYPES
from server.operation_metrics import OperationMetrics
from server.request_scope import current_request_id
from server.settings import Settings
from server.tracing import tracing_extensions
from server.validated_documents import RememberValidated, ValidatedDocuments

log = logging.getLogger("relate.errors")


def _is_public(error: GraphQLError) -> bool:
    """Syntax, validation and typed errors reach the client; anything else is a bug."""
    original = error.original_error
    return original is None or isinstance(original, (DomainError, GraphQLError, WritesBusy))


class RetryAfterHeader(SchemaExtension):
    """An overloaded database (`WritesBusy`, UNAVAILABLE) tells HTTP clients when to come
    back, in the standard header as well as in `extensions.retryAfter`."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        response = getattr(self.execution_context.context, "response", None)
        if result is None or response is None or not result.errors:
            return
        waits = [e.original_error.retry_after for e in result.errors
                 if isinstance(e.original_error, WritesBusy)]
        if waits:
            response.headers["Retry-After"] = str(max(waits))


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected exceptions become "internal error <id>"; the id and traceback go to the log."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _is_public(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = uuid.uuid4().hex[:12]
        log.error("internal error %s at %s", error_id, error.path, exc_info=error.original_error)
        return GraphQLError(
            message=f"internal error {error_id}",
            nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
            extensions={"code": "INTERNAL", "errorId": error_id, "requestId": current_request_id()},
        )


def masked(errors: list[GraphQLError]) -> list[GraphQLError]:
    """`errors` as a client may see them: what the extension does to every result, for the
    results a websocket sends without going through the extensions (a live page, one
    message per event: subscriptions/websocket.py)."""
    return [e if _is_public(e) else MaskUnexpectedErrors().anonymise_error(e) for e in errors]


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        OperationMetrics,  # first: it times everything and sees errors after masking
        MaskUnexpectedErrors,
        RetryAfterHeader,
        # Depth, aliases and expanded size, each fragment measured once (schema/shape.py). The
        # rule class is made once: the validation cache is keyed by the rules.
        partial(AddValidationRules, [shape_rule(settings.max_depth, settings.max_aliases,
                                                settings.max_selections)]),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ParserCache, maxsize=512),
        partial(ValidationCache, maxsize=512),
        # After ValidationCache: it costs only documents already known valid (schema/cost.py).
        partial(CostLimiter, max_cost=settings.max_cost, default_page_size=settings.default_page_size),
    ]
    if not settings.introspection:
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    extensions.extend(tracing_extensions(settings))
    # Documents that passed every check above, for the compiled read path (server/compiled_reads.py).
    documents = ValidatedDocuments()
    extensions.append(partial(RememberValidated, documents=documents))
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=extra_types(),
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
    )
    schema.validated_documents = documents  # type: ignore[attr-defined]
    return schema


def extra_types() -> list[Any]:
    """Types reachable only through interfaces must be named so the schema knows them."""
    return [Account, Contact, *SALES_TYPES, *ACTIVITY_TYPES, Note, Attachment, *WORK_LIST_TYPES, *CUSTOM_FIELD_TYPES]


def export_sdl(settings: Settings | None = None) -> str:
    return build_schema(settings or Settings()).as_str() + "\n"

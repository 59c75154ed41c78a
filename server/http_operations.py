"""Which operations plain HTTP runs: queries (GET or POST) and mutations (POST only).

Strawberry allows every operation type over POST and would run a subscription as if it were
a query; its resolver returns a stream, which is no value, so the client got an anonymous
INTERNAL error and the log an ERROR. Apollo's HttpLink sends subscriptions exactly like
that, so it is an expected mistake: it gets BAD_REQUEST pointing at the websocket. A
mutation over GET gets 405 with `Allow: POST` (GET must stay safe: links and prefetches
follow it).

The operation's type is read from the parsed document (cached; a document over the token
limit is left to the schema, which refuses it the usual way).
"""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from graph.rules.errors import ErrorCode
from server.refusals import Refusal

SUBSCRIPTION_OVER_HTTP = ("subscriptions are not served over plain HTTP: open a websocket on this same path "
                          "(/graphql, protocol graphql-transport-ws) and subscribe there")
MUTATION_OVER_GET = "mutations are sent with POST, never GET"


# Documents up to this size are remembered by their text; longer ones (a big string
# literal) are parsed each time rather than kept in memory.
CACHED_QUERY_CHARS = 64 * 1024


def operation_type(query: str, operation_name: str | None, max_tokens: int) -> OperationType | None:
    """The type of the operation that would run, or None when the schema must decide."""
    if len(query) <= CACHED_QUERY_CHARS:
        return _cached_operation_type(query, operation_name, max_tokens)
    return _operation_type(query, operation_name, max_tokens)


def _operation_type(query: str, operation_name: str | None, max_tokens: int) -> OperationType | None:
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens or None)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    return operations[0].operation if len(operations) == 1 else None


_cached_operation_type = lru_cache(maxsize=512)(_operation_type)


def http_refusal(method: str, query: object, operation_name: object, max_tokens: int) -> Refusal | None:
    """The refusal of an operation plain HTTP does not run, or None."""
    if not isinstance(query, str) or not (operation_name is None or isinstance(operation_name, str)):
        return None
    kind = operation_type(query, operation_name, max_tokens)
    if kind is OperationType.SUBSCRIPTION:
        return Refusal(400, ErrorCode.BAD_REQUEST, SUBSCRIPTION_OVER_HTTP)
    if kind is OperationType.MUTATION and method == "GET":
        return Refusal(405, ErrorCode.METHOD_NOT_ALLOWED, MUTATION_OVER_GET, headers={"Allow": "POST"})
    return None

"""The request being served, in a context variable: its id and what it cost.

Set by the ASGI middleware (server/observability.py) for every HTTP request and websocket
connection. Asyncio tasks (and so dataloader batches) copy the context when they start,
and SQLAlchemy runs its event hooks in the caller's context, so the SQL statement counter
and every log record of the request see the same `RequestScope`.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

REQUEST_ID_HEADER = "X-Request-Id"
# An id a client or proxy sends is kept if it is short and plain, so logs line up end to end.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass
class RequestScope:
    request_id: str
    sql_statements: int = 0
    operation: str | None = None
    operation_type: str | None = None
    # Whatever records finished operations (the app's `Metrics`); None outside a request.
    observer: Any = None


_current: ContextVar[RequestScope | None] = ContextVar("relate_request", default=None)


def new_request_id(offered: str | None = None) -> str:
    if offered and _ACCEPTABLE.match(offered):
        return offered
    return uuid.uuid4().hex[:16]


def begin(request_id: str) -> tuple[RequestScope, object]:
    """Start a request's scope; pass the token to `end` when the request is over."""
    scope = RequestScope(request_id)
    return scope, _current.set(scope)


def end(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current() -> RequestScope | None:
    return _current.get()


def count_statement(_sql: str) -> None:
    """A statement sent on a raw driver connection (no SQLAlchemy engine events) counts in
    the request's SQL metric like the engine's do."""
    scope = _current.get()
    if scope is not None:
        scope.sql_statements += 1


def current_request_id() -> str | None:
    scope = _current.get()
    return scope.request_id if scope else None

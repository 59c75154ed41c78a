"""The one shape of every refusal at the HTTP edge, made in one place.

A client sees the same JSON whichever guard said no (rate limit, content type, body size,
malformed JSON, a method or operation the endpoint does not take, Strawberry's own request
checks) and whatever went wrong unexpectedly outside GraphQL execution:

    {"errors": [{"message": "...", "extensions": {"code": "BAD_REQUEST", "requestId": "..."}}]}

`code` comes from `ErrorCode` (clients switch on it, never on the message); `requestId` is
the id of this request, also in the `X-Request-Id` header and in every log line of it
(server/observability.py adds the header). There is no `data` key: the request never
reached execution (GraphQL over HTTP, "request error").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from graph.rules.errors import ErrorCode
from server.request_scope import current_request_id

log = logging.getLogger("relate.errors")

# What a status means when the one who refuses names no code (Strawberry's HTTPException).
CODE_FOR_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    406: ErrorCode.NOT_ACCEPTABLE,
    413: ErrorCode.REQUEST_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.UNAVAILABLE,
}


class Refusal(Exception):
    """Raised inside the view to refuse the whole request with `refusal(...)`."""

    def __init__(self, status: int, code: ErrorCode, message: str, *,
                 headers: Mapping[str, str] | None = None, **extensions: object) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extensions = extensions

    def response(self) -> Response:
        return refusal(self.status, self.code, self.message, headers=self.headers, **self.extensions)


def refusal(status: int, code: ErrorCode, message: str, *, headers: Mapping[str, str] | None = None,
            **extensions: object) -> Response:
    """The response refusing a request: `status`, a typed `code`, a sentence for people."""
    error = {"message": message, "extensions": {"code": code.value, **extensions, "requestId": current_request_id()}}
    return Response(orjson.dumps({"errors": [error]}), status_code=status, headers=dict(headers or {}),
                    media_type="application/json")


def refusal_for_status(status: int, reason: str) -> Response:
    """A status and a reason from code that knows no ErrorCode (Strawberry's view)."""
    headers = {"Allow": "GET, POST"} if status == 405 else None
    return refusal(status, CODE_FOR_STATUS.get(status, ErrorCode.BAD_REQUEST), reason, headers=headers)


def internal_error(where: str, exc: BaseException) -> Response:
    """A bug outside GraphQL execution: logged with an id and a traceback, masked to the client."""
    error_id = uuid.uuid4().hex[:12]
    log.error("internal error %s in %s", error_id, where, exc_info=exc)
    return refusal(500, ErrorCode.INTERNAL, f"internal error {error_id}", errorId=error_id)


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, code: ErrorCode, message: str, *,
                 headers: Mapping[str, str] | None = None, **extensions: object) -> None:
    """Send `refusal(...)` from ASGI code."""
    await refusal(status, code, message, headers=headers, **extensions)(scope, receive, send)

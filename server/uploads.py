"""Guarding multipart requests to `/graphql`: CSRF preflight and a body-size ceiling.

CSRF. `multipart/form-data` is a "simple" content type: a browser sends it cross-site
without a CORS preflight, so a hostile page could post a mutation. Strawberry (since
0.243) only turns multipart off by default (`multipart_uploads_enabled=False`); once it is
on, as here, Strawberry checks nothing and leaves CSRF protection to the application. We
follow the convention Apollo Server and Apollo Client use: a multipart request must carry
a non-empty `Apollo-Require-Preflight` (or `X-Apollo-Operation-Name`) header. A custom
header forces the browser to preflight, which a foreign origin does not pass. Requests
without it get 400 before the body is read.

Size. Strawberry (through Starlette) spools the whole body to temporary files before any
resolver runs, so an unbounded upload could fill the disk. The body is cut off at
`max_files × attachment_max_bytes + envelope`; below that, the attachment command streams
each file to the store and refuses one over the limit with a typed FILE_TOO_LARGE.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from graph.db import Database
from graph.rules.errors import ErrorCode
from server.asgi_body import call_with_body_cap
from server.asgi_body import header as _header
from graph.queries.notes import attachment_policy
from server.refusals import refuse

PREFLIGHT_HEADERS = (b"apollo-require-preflight", b"x-apollo-operation-name")
# Files one multipart request may carry at the full size limit, and room for the rest.
MAX_FILES_PER_REQUEST = 10
ENVELOPE_BYTES = 1024 * 1024


def is_multipart(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
    return scope["type"] == "http" and scope.get("method") == "POST" and content_type == b"multipart/form-data"


def has_preflight_header(scope: Scope) -> bool:
    return any((_header(scope, name) or b"").strip() for name in PREFLIGHT_HEADERS)


class MultipartGuard:
    """ASGI wrapper around the GraphQL view; other requests pass through untouched."""

    def __init__(self, app: ASGIApp, app_state: Any) -> None:
        self.app = app
        self.app_state = app_state

    async def _ceiling(self) -> int:
        db: Database = self.app_state.db
        async with db.read() as session:
            policy = await attachment_policy(session)
        return MAX_FILES_PER_REQUEST * policy.max_bytes + ENVELOPE_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_multipart(scope):
            await self.app(scope, receive, send)
            return
        if not has_preflight_header(scope):
            await refuse(scope, receive, send, 400, ErrorCode.CSRF_PREFLIGHT_REQUIRED,
                         "multipart requests need the header 'Apollo-Require-Preflight: true' (CSRF protection)")
            return
        ceiling = await self._ceiling()
        await call_with_body_cap(
            self.app, scope, receive, send, ceiling,
            lambda reply: refuse(scope, receive, reply, 413, ErrorCode.FILE_TOO_LARGE,
                                 f"the request is larger than {ceiling} bytes"),
        )

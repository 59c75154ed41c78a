"""HTTP limits in front of `/graphql` (R-API-3): rate, content type, body size.

Checked before the request reaches Strawberry, so a refused request costs neither a
token lookup nor a parse:

1. **Rate** per bearer token (per client address without one): a token bucket refilled at
   `RELATE_RATE_LIMIT_PER_SECOND` and holding at most `RELATE_RATE_LIMIT_BURST`; an empty
   bucket answers 429 with `Retry-After` (whole seconds) and code RATE_LIMITED. The
   buckets live in this process: with N server processes a client may get up to N times
   the rate (a shared limit would need the broker or the database on every request; put a
   proxy's limiter in front if that matters). Buckets are kept for the most recent
   `MAX_BUCKETS` keys, so random tokens cannot grow memory without bound.
2. **CSRF**: a POST must be `application/json` (a browser cannot send that cross-site
   without a CORS preflight) or `multipart/form-data`, which `server/uploads.py` lets
   through only with the `Apollo-Require-Preflight` header. Anything else (forms,
   `text/plain`) is 415 before any resolver runs. Media types are compared without case
   and parameters (`APPLICATION/JSON; charset=utf-8` is JSON), and passed on lowercased.
   GET runs queries only (the view refuses mutations over GET with 405).
3. **Body size**: a JSON body over `RELATE_MAX_BODY_BYTES` is 413, from its Content-Length
   at once or, when streamed without one, as soon as the count passes the limit. Multipart
   bodies get their ceiling from the attachment policy in `server/uploads.py`.
4. **JSON**: the body (or a GET request's `variables`) must be UTF-8 JSON nested at most
   `RELATE_MAX_JSON_DEPTH` levels, and an object (server/json_body.py); else 400.

Every refusal has the shape `server/refusals.py` gives it.

Websocket connections pass through: Strawberry checks their `Origin` against
`RELATE_CORS_ORIGINS` and `RELATE_WS_ALLOWED_ORIGINS` (server/browsers.py) and bounds
subscriptions per connection.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.rules.errors import ErrorCode
from server.asgi_body import BodyTooLarge, read_body, replay
from server.asgi_body import header as _header
from server.json_body import body_problem, query_string_problem
from server.refusals import internal_error, refuse
from server.settings import Settings

MAX_BUCKETS = 100_000
JSON_TYPES = (b"application/json",)
MULTIPART = b"multipart/form-data"


@dataclass
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per key: `take(key)` is 0.0 when allowed, else the seconds to wait."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_BUCKETS) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = Bucket(float(self.burst), now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


def media_type(scope: Scope) -> bytes:
    return (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()


def with_lowercase_media_type(scope: Scope, kind: bytes) -> Scope:
    """The scope with its Content-Type's media type lowercased (the view compares it exactly)."""
    headers = []
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            _, semicolon, parameters = bytes(value).partition(b";")
            value = kind + semicolon + parameters
        headers.append((name, value))
    return {**scope, "headers": headers}


def rate_key(scope: Scope) -> str:
    """The bearer token (hashed: raw tokens are not kept in memory), else the client address."""
    authorization = (_header(scope, b"authorization") or b"").strip()
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() == b"bearer" and token.strip():
        return "t:" + hashlib.sha256(token.strip()).hexdigest()
    client = scope.get("client")
    return f"a:{client[0] if client else 'unknown'}"


class RequestLimits:
    """ASGI wrapper around the GraphQL HTTP endpoint; see the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_json_depth = settings.max_json_depth
        self.buckets = (TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst, clock)
                        if settings.rate_limit_per_second > 0 else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._checked(scope, receive, tracked_send)
        except Exception as exc:  # a bug anywhere behind /graphql: the same JSON shape, not a 500 page
            if started:
                raise
            await internal_error("/graphql", exc)(scope, receive, send)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is not None:
            wait = self.buckets.take(rate_key(scope))
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                await refuse(scope, receive, send, 429, ErrorCode.RATE_LIMITED,
                             f"too many requests; retry in {seconds} s",
                             headers={"Retry-After": str(seconds)}, retryAfter=seconds)
                return
        if scope.get("method") != "POST":
            problem = query_string_problem(scope.get("query_string", b""), self.max_json_depth)
            if problem:
                await refuse(scope, receive, send, 400, ErrorCode.BAD_REQUEST, problem)
                return
            await self.app(scope, receive, send)
            return
        kind = media_type(scope)
        if kind == MULTIPART:
            await self.app(with_lowercase_media_type(scope, kind), receive, send)  # see server/uploads.py
            return
        if kind not in JSON_TYPES:
            await refuse(scope, receive, send, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                         "POST /graphql takes Content-Type: application/json (or multipart/form-data for uploads)")
            return
        await self._json(with_lowercase_media_type(scope, kind), receive, send)

    async def _json(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body (at most `max_body` bytes), check it, hand it on."""
        limit = self.max_body
        try:
            body = await read_body(scope, receive, limit if limit > 0 else None)
        except BodyTooLarge:
            await refuse(scope, receive, send, 413, ErrorCode.REQUEST_TOO_LARGE,
                         f"the request body is larger than {limit} bytes", maxBytes=limit)
            return
        problem = body_problem(body, self.max_json_depth)
        if problem:
            await refuse(scope, receive, send, 400, ErrorCode.BAD_REQUEST, problem)
            return
        await self.app(scope, replay(body, receive), send)

"""HTTP limits in front of `/graphql` (R-API-3): rate, content type, body size.

Checked before the request reaches Strawberry, so a refused request costs neither a
token lookup nor a parse:

1. **Rate** per bearer token (per client address without one), counted by the `limits`
   library in a moving window: at most `RELATE_RATE_LIMIT_BURST` requests in any
   `burst / RELATE_RATE_LIMIT_PER_SECOND` seconds (a burst, then the rate on average). One
   over answers 429 with `Retry-After` (whole seconds, until the oldest counted request
   leaves the window) and code RATE_LIMITED. The counts live where
   `RELATE_RATE_LIMIT_STORAGE_URL` says, by default in Redis when `RELATE_BROADCAST_URL` is
   a Redis URL — then every server process shares them and N processes allow the
   configured rate, not N times it — else in this process's memory. If Redis cannot be
   reached the request is let through (logged): an outage of the counter must not take the
   API down with it.
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
import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.rules.errors import ErrorCode
from server.asgi_body import BodyTooLarge, read_body, replay
from server.asgi_body import header as _header
from server.json_body import body_problem, query_string_problem
from server.refusals import internal_error, refuse
from server.settings import Settings

log = logging.getLogger("relate.limits")

JSON_TYPES = (b"application/json",)
MULTIPART = b"multipart/form-data"
REDIS_SCHEMES = ("redis://", "rediss://")


def rate_storage_url(settings: Settings) -> str:
    """Where request counts live: the explicit setting, else the broker when it is Redis
    (several processes share it), else this process's memory."""
    if settings.rate_limit_storage_url:
        return settings.rate_limit_storage_url
    if settings.broadcast_url.startswith(REDIS_SCHEMES):
        return settings.broadcast_url
    return "memory://"


class RequestRate:
    """`wait(key)` is 0.0 when a request may go ahead (and counts it), else the seconds
    until one may. A burst of `burst` requests, then `per_second` on average."""

    def __init__(self, per_second: float, burst: int, storage_url: str, *, key_prefix: str = "relate") -> None:
        self.burst = max(1, burst)
        window = max(1, math.ceil(self.burst / per_second))
        self.item = RateLimitItemPerSecond(self.burst, window)
        self.shared = storage_url.startswith(REDIS_SCHEMES)
        storage = (RedisStorage("async+" + storage_url, implementation="redispy",
                                key_prefix=f"{key_prefix}:rate", wrap_exceptions=True)
                   if self.shared else MemoryStorage())
        self.limiter = MovingWindowRateLimiter(storage)
        self._unreachable = False

    async def wait(self, key: str) -> float:
        try:
            if await self.limiter.hit(self.item, key):
                self._noted(reachable=True)
                return 0.0
            stats = await self.limiter.get_window_stats(self.item, key)
        except Exception:
            self._noted(reachable=False)
            return 0.0
        self._noted(reachable=True)
        return max(0.001, stats.reset_time - time.time())

    def _noted(self, *, reachable: bool) -> None:
        """One log line per change, not one per request."""
        if reachable == self._unreachable:
            self._unreachable = not reachable
            if reachable:
                log.info("rate limit storage reachable again")
            else:
                log.warning("rate limit storage unreachable; requests are not rate limited meanwhile",
                            exc_info=True)


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

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_json_depth = settings.max_json_depth
        self.rate = (RequestRate(settings.rate_limit_per_second, settings.rate_limit_burst,
                                 rate_storage_url(settings), key_prefix=settings.broadcast_channel)
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
        if self.rate is not None:
            wait = await self.rate.wait(rate_key(scope))
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

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
   `text/plain`) is 415 before any resolver runs. GET runs queries only (Strawberry
   refuses mutations over GET).
3. **Body size**: a JSON body over `RELATE_MAX_BODY_BYTES` is 413, from its Content-Length
   at once or, when streamed without one, as soon as the count passes the limit. Multipart
   bodies get their ceiling from the attachment policy in `server/uploads.py`.

Websocket connections pass through: Strawberry checks their `Origin` against
`RELATE_CORS_ORIGINS` and `RELATE_WS_ALLOWED_ORIGINS` (server/browsers.py) and bounds
subscriptions per connection.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from server.asgi_body import call_with_body_cap
from server.asgi_body import header as _header
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


def rate_key(scope: Scope) -> str:
    """The bearer token (hashed: raw tokens are not kept in memory), else the client address."""
    authorization = (_header(scope, b"authorization") or b"").strip()
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() == b"bearer" and token.strip():
        return "t:" + hashlib.sha256(token.strip()).hexdigest()
    client = scope.get("client")
    return f"a:{client[0] if client else 'unknown'}"


async def refuse(send: Send, status: int, message: str, code: str,
                 headers: list[tuple[bytes, bytes]] | None = None, **extensions: object) -> None:
    body = json.dumps({"data": None, "errors": [{"message": message,
                                                  "extensions": {"code": code, **extensions}}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """ASGI wrapper around the GraphQL HTTP endpoint; see the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.buckets = (TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst, clock)
                        if settings.rate_limit_per_second > 0 else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.buckets is not None:
            wait = self.buckets.take(rate_key(scope))
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                await refuse(send, 429, f"too many requests; retry in {seconds} s", "RATE_LIMITED",
                             [(b"retry-after", str(seconds).encode())], retryAfter=seconds)
                return
        if scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        kind = media_type(scope)
        if kind == MULTIPART:
            await self.app(scope, receive, send)  # preflight header and size: server/uploads.py
            return
        if kind not in JSON_TYPES:
            await refuse(send, 415, "POST /graphql takes Content-Type: application/json "
                                    "(or multipart/form-data for uploads)", "UNSUPPORTED_MEDIA_TYPE")
            return
        await self._sized(scope, receive, send)

    async def _sized(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body
        if limit <= 0:
            await self.app(scope, receive, send)
            return
        await call_with_body_cap(self.app, scope, receive, send, limit,
                                 lambda reply: self._too_large(reply, limit))

    @staticmethod
    async def _too_large(send: Send, limit: int) -> None:
        await refuse(send, 413, f"the request body is larger than {limit} bytes", "REQUEST_TOO_LARGE",
                     maxBytes=limit)

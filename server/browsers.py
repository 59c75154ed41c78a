"""Browsers on other origins (R-WEB-1): CORS for HTTP, the same origins for websockets.

`RELATE_CORS_ORIGINS` lists the origins of browser apps that may call Relate; empty (the
default) keeps it same-origin only, as before. Credentials (cookies) stay off: Relate
authenticates by bearer token, so a page sends `Authorization` and nothing ambient.

The preflight allows exactly the request headers Relate reads: `Authorization`,
`Content-Type` (JSON POSTs are preflighted by browsers, which is the CSRF defence of
server/limits.py) and the headers server/uploads.py requires on multipart uploads
(`Apollo-Require-Preflight`, `X-Apollo-Operation-Name`). Answers expose the headers a
client may want to read: the request id, `Retry-After` on 429, and the cache marker.

Websockets are not covered by CORS: Strawberry checks the upgrade's `Origin` against the
list given here (same-origin and non-browser clients always pass).
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from server.settings import Settings

ALLOWED_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept", "Apollo-Require-Preflight",
                           "X-Apollo-Operation-Name", "X-Request-Id")
EXPOSED_RESPONSE_HEADERS = ("X-Request-Id", "Retry-After", "X-Relate-Cache")
PREFLIGHT_CACHE_SECONDS = 600


def cors_middleware(settings: Settings) -> list[Middleware]:
    """CORS answers for the configured origins; none at all when the list is empty."""
    if not settings.cors_origins:
        return []
    return [Middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=list(ALLOWED_REQUEST_HEADERS), expose_headers=list(EXPOSED_RESPONSE_HEADERS),
                       allow_credentials=False, max_age=PREFLIGHT_CACHE_SECONDS)]


def websocket_origins(settings: Settings) -> list[str]:
    """Origins whose pages may open the websocket: the CORS list plus the older
    websocket-only `RELATE_WS_ALLOWED_ORIGINS`."""
    return list(dict.fromkeys([*settings.cors_origins, *settings.ws_allowed_origins]))

"""The live demo page at `/demo`: one static HTML file and one ES module, no build step.

It talks to the public API only (`/graphql` over HTTP and graphql-transport-ws), with the
token the visitor types in, so it doubles as a small example client. See
docs/operations.md ("The demo page").
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

STATIC = Path(__file__).resolve().parent / "static" / "demo"
# The page loads nothing from elsewhere; say so to the browser.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


async def page(_: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=HEADERS)


async def script(_: Request) -> Response:
    return FileResponse(STATIC / "app.js", media_type="text/javascript", headers=HEADERS)


def routes() -> list[Route]:
    return [Route("/demo", page), Route("/demo/app.js", script)]

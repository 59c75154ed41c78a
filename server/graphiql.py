"""GraphiQL served by Relate itself (R-WEB-2): our page, its files from this server.

Strawberry's own GraphiQL page loads React, GraphiQL and the explorer plugin from
unpkg.com, so it stays a blank "Loading…" without internet. This page loads the same
pinned files (server/graphiql_assets.py) from `/graphiql/<file>`, installed by
scripts/fetch_graphiql_assets.py during `make install`. Only when they are missing (npm
was unreachable) does it fall back to the CDN, and then it says so at the top.

GraphiQL passes the headers editor's headers to the websocket as the `connection_init`
payload, so one `Authorization` header serves queries and subscriptions alike.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from server.graphiql_assets import ASSET_DIR, ASSETS, SCRIPTS, STYLES, Asset, installed

TEMPLATE = Path(__file__).resolve().parent / "templates" / "graphiql.html"
ASSET_PREFIX = "/graphiql/"
CDN_NOTICE = ("GraphiQL's files are not installed on this server (run <code>make install</code> with npm "
              "available); they are loaded from unpkg.com instead, which needs internet access.")
# Asset names carry their version: a browser may keep them for good.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


def _src(asset: Asset, local: bool) -> tuple[str, str]:
    """The URL and the attributes that go with it (integrity and CORS for the CDN)."""
    if local:
        return ASSET_PREFIX + asset.name, ""
    return asset.cdn_url, f' integrity="{asset.integrity}" crossorigin="anonymous"'


@lru_cache(maxsize=2)
def page_html(local: bool) -> str:
    styles = "\n    ".join('<link rel="stylesheet" href="{}"{} />'.format(*_src(a, local)) for a in STYLES)
    scripts = "\n    ".join('<script src="{}"{}></script>'.format(*_src(a, local)) for a in SCRIPTS)
    notice = "" if local else f'<div id="relate-cdn-notice" role="status">{CDN_NOTICE}</div>'
    return (TEMPLATE.read_text(encoding="utf-8").replace("<!--STYLES-->", styles)
            .replace("<!--SCRIPTS-->", scripts).replace("<!--NOTICE-->", notice))


def graphiql_page() -> HTMLResponse:
    return HTMLResponse(page_html(installed()), headers={"Cache-Control": "no-cache"})


_SERVED = {asset.name: asset for asset in ASSETS}


async def asset(request: Request) -> Response:
    name = str(request.path_params["name"])
    if name not in _SERVED or not (ASSET_DIR / name).is_file():
        return Response(f"no GraphiQL file {escape(name)}", status_code=404, media_type="text/plain")
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(ASSET_DIR / name, media_type=media, headers=IMMUTABLE)


def routes() -> list[Route]:
    return [Route(ASSET_PREFIX + "{name}", asset)]

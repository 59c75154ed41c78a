"""Health endpoints for load balancers and orchestrators.

- `GET /healthz` (liveness): the process is up and serving; touches nothing else, so a
  slow database never gets a healthy process restarted.
- `GET /readyz` (readiness): the database answers `SELECT 1` and the live-update broker's
  listener is connected, each within a short timeout. 200 with what was checked, or 503
  naming what failed, so traffic goes elsewhere until this process can serve it fully.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def _database(app_state: Any) -> str:
    db = getattr(app_state, "db", None)
    if db is None:
        return "not started"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), db.read() as session:
            await session.execute(text("SELECT 1"))
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip(": ")
    return "ok"


def _broker(app_state: Any) -> str:
    live = getattr(app_state, "live", None)
    if live is None:
        return "not started"
    doorbell = live.doorbell
    if not doorbell.connected:
        return f"{doorbell.broker.description} not connected (reconnecting)"
    return "ok"


def routes(app_state: Any) -> list[Route]:
    async def readyz(_: Request) -> JSONResponse:
        checks = {"database": await _database(app_state), "broker": _broker(app_state)}
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status_code=200 if ready else 503)

    return [Route("/healthz", healthz), Route("/readyz", readyz)]

"""Bearer tokens from the Authorization header or the websocket `connection_init` payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.db import Database
from graph.queries.principals import Viewer, viewer_for_token


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def token_from_init_payload(payload: Mapping[str, Any] | None) -> str | None:
    """Accept {"authorization": "Bearer …"}, {"Authorization": …} or {"token": …}."""
    if not payload:
        return None
    for key in ("authorization", "Authorization"):
        if isinstance(payload.get(key), str):
            return bearer_token(payload[key])
    token = payload.get("token")
    return token if isinstance(token, str) else None


async def authenticate(db: Database, token: str | None) -> Viewer | None:
    if not token:
        return None
    async with db.read() as session:
        return await viewer_for_token(session, token)

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


# Where clients put the token in `connection_init` (R-WEB-5): header-style keys hold
# "Bearer <token>"; the bare-token keys are what Apollo's and other clients' docs show.
HEADER_KEYS = ("authorization", "Authorization")
TOKEN_KEYS = ("authToken", "token")


def token_from_init_payload(payload: Mapping[str, Any] | None) -> str | None:
    """The token in `authorization`/`Authorization` ("Bearer …"), `authToken`/`token` (bare
    or "Bearer …"), or a `headers` object as a browser would send it (GraphiQL, graphql-ws
    recipes that reuse the HTTP headers)."""
    if not payload:
        return None
    for key in HEADER_KEYS:
        if isinstance(payload.get(key), str):
            return bearer_token(payload[key])
    for key in TOKEN_KEYS:
        value = payload.get(key)
        if isinstance(value, str):
            return bearer_token(value) if value.lower().startswith("bearer ") else value.strip() or None
    headers = payload.get("headers")
    if isinstance(headers, Mapping):
        return token_from_init_payload({k: v for k, v in headers.items() if k in HEADER_KEYS})
    return None


async def authenticate(db: Database, token: str | None) -> Viewer | None:
    if not token:
        return None
    async with db.read() as session:
        return await viewer_for_token(session, token)

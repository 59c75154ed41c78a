"""Bearer tokens from the Authorization header or the websocket `connection_init` payload.

Two kinds: Relate's own tokens (`relate token create`, `createMyToken`), looked up by
digest; and, when an identity provider is configured, its signed access tokens (JWT,
server/identity.py). Every failure answers the same: not signed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.exc import IntegrityError

from graph.commands.users import just_in_time_user
from graph.db import Database
from graph.models import utcnow
from graph.queries.principals import Viewer, email_lookup, viewer_for, viewer_for_token, viewers_for_tokens
from graph.rules.errors import DomainError
from server.identity import IdentityProvider, looks_like_jwt


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


async def authenticate(db: Database, token: str | None, identity: IdentityProvider | None = None) -> Viewer | None:
    if not token:
        return None
    if identity is not None and looks_like_jwt(token):
        return await _signed_in_by_provider(db, token, identity)
    async with db.read() as session:
        return await viewer_for_token(session, token)


async def _signed_in_by_provider(db: Database, token: str, identity: IdentityProvider) -> Viewer | None:
    claims = await identity.verified_claims(token)
    if claims is None:
        return None
    email = identity.user_key(claims)
    async with db.read() as session:
        row = (await session.execute(email_lookup(email))).first()
        if row is not None:
            return await viewer_for(session, row[0], row[1])
    if identity.jit_unit is None:
        return None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    try:
        async with db.unit_of_work() as session:
            created = await just_in_time_user(session, email, name, identity.jit_unit, identity.jit_role, utcnow())
    except DomainError:
        return None  # a bad address or a unit that is gone: not signed in
    except IntegrityError:
        created = True  # a concurrent first request made them: read them below
    if not created:
        return None  # the email is a deactivated user's
    async with db.read() as session:
        row = (await session.execute(email_lookup(email))).first()
        return await viewer_for(session, row[0], row[1]) if row is not None else None


class TokenRecheck:
    """Re-authenticates live subscribers in batches: every socket that asks in the same turn
    of the event loop (all subscribers woken by one fan-out) is answered by one statement.

    Never caches: each ask sees the token, the user and the roles as of now (R-LIVE-4), so a
    revoked token or a deactivated user stops the next batch of events. Signed tokens of an
    identity provider go the single way (`authenticate`)."""

    def __init__(self, db: Database, batch_size: int = 500) -> None:
        self.db = db
        self._loader: DataLoader[str, Viewer | None] = DataLoader(self._load, cache=False,
                                                                  max_batch_size=batch_size)

    async def viewer(self, token: str | None, identity: IdentityProvider | None = None) -> Viewer | None:
        if not token:
            return None
        if identity is not None and looks_like_jwt(token):
            return await authenticate(self.db, token, identity)
        return await self._loader.load(token)

    async def _load(self, tokens: Sequence[str]) -> list[Viewer | None]:
        async with self.db.read() as session:
            found = await viewers_for_tokens(session, tokens)
        return [found.get(token) for token in tokens]

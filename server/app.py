"""The composition root: Starlette app, GraphQL view, lifespan for shared resources."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from graph.db import Database
from resolvers.context import Context
from schema.build import build_schema
from server.auth import authenticate, bearer_token, token_from_init_payload
from server.settings import Settings, get_settings

log = logging.getLogger("relate")


class RelateGraphQL(GraphQL):
    """Strawberry's ASGI view with our context: viewer from the token, loaders per request."""

    def __init__(self, app_state: Any, settings: Settings, **kw: Any) -> None:
        super().__init__(build_schema(settings), **kw)
        self.app_state = app_state
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        db: Database = self.app_state.db
        token = bearer_token(request.headers.get("authorization"))
        ctx = Context(db=db, settings=self.settings, viewer=await authenticate(db, token),
                      request=request, response=response)
        ctx.after_commit.extend(self.app_state.after_commit)
        return ctx

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        """Authenticate a websocket with the token in `connection_init` (SPEC §1)."""
        payload = context.connection_params
        token = token_from_init_payload(payload) or bearer_token(
            context.request.headers.get("authorization") if context.request else None
        )
        viewer = await authenticate(context.db, token)
        if viewer is None:
            raise ConnectionRejectionError({"message": "a valid bearer token is required in connection_init"})
        context.viewer = viewer
        return UNSET


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_db = db is None
        app.state.db = db or Database.connect(settings.database_url)
        app.state.after_commit = []
        try:
            yield
        finally:
            if own_db:
                await app.state.db.dispose()

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(lifespan=lifespan)
    graphql = RelateGraphQL(
        app.state, settings,
        graphql_ide="graphiql" if settings.graphiql else None,
        multipart_uploads_enabled=True,
        allowed_origins=settings.ws_allowed_origins,
    )
    app.router.routes.extend([
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
    ])
    app.state.db = db
    app.state.after_commit = []
    return app

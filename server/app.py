"""The composition root: Starlette app, GraphQL view, lifespan for shared resources."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
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
from graph.queries.principals import Viewer
from resolvers.context import Context
from schema.build import build_schema
from server.auth import authenticate, bearer_token, token_from_init_payload
from server.downloads import download_route
from server.settings import Settings, get_settings
from server.uploads import MultipartGuard
from subscriptions.live import LiveUpdates

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
        viewer = await websocket_viewer(context)
        if viewer is None:
            raise ConnectionRejectionError({"message": "a valid bearer token is required in connection_init"})
        context.viewer = viewer
        return UNSET


async def websocket_viewer(context: Context) -> Viewer | None:
    """The websocket's user as of now; live updates ask again before every event (R-LIVE-4)."""
    token = token_from_init_payload(context.connection_params) or bearer_token(
        context.request.headers.get("authorization") if context.request else None
    )
    return await authenticate(context.db, token)


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_db = db is None
        app.state.db = db or Database.connect(settings.database_url, schema=settings.database_schema)
        app.state.after_commit = []
        live = LiveUpdates(app.state.db, settings, websocket_viewer)
        await live.start()
        app.state.live = live
        app.state.after_commit.append(live.after_commit)
        try:
            yield
        finally:
            await live.stop()
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
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
    )
    app.router.routes.extend([
        # Multipart uploads need a CSRF preflight header and have a size ceiling (server/uploads.py).
        Route("/graphql", MultipartGuard(graphql, app.state), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        download_route(app.state, settings),
    ])
    app.state.db = db
    app.state.after_commit = []
    return app

"""The composition root: Starlette app, GraphQL view, lifespan for shared resources."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from graph.db import Database
from graph.mail import Sender
from graph.models import utcnow
from graph.queries.principals import Viewer
from resolvers.context import Context
from schema.build import build_schema
from server.auth import authenticate, bearer_token, token_from_init_payload
from server import demo, health
from server.downloads import download_route
from server.observability import Metrics, RequestObservation, count_statements, metrics_endpoint
from server.request_scope import current_request_id
from server.scheduler import Clock, MailSettings, Scheduler, configured_sender
from server.limits import RequestLimits
from server.response_cache import ResponseCache, preauthenticated
from server.settings import Settings, get_settings
from server.uploads import MultipartGuard
from subscriptions.live import LiveUpdates
from subscriptions.webhooks import WebhookWorker
from subscriptions.websocket import LiveLegacyWSHandler, LiveTransportWSHandler, LiveWebSocketAdapter

log = logging.getLogger("relate")


class RelateGraphQL(GraphQL):
    """Strawberry's ASGI view with our context: viewer from the token, loaders per request.
    Websockets get a bounded send and typed refusals (subscriptions/websocket.py)."""

    websocket_adapter_class = LiveWebSocketAdapter  # type: ignore[assignment]
    graphql_transport_ws_handler_class = LiveTransportWSHandler
    graphql_ws_handler_class = LiveLegacyWSHandler

    def __init__(self, app_state: Any, settings: Settings, **kw: Any) -> None:
        super().__init__(build_schema(settings), **kw)
        self.app_state = app_state
        self.settings = settings

    def encode_json(self, data: object) -> str:
        """orjson: several times faster than the standard library on a page of 50 nodes.
        A str, not bytes, so websocket messages stay text frames."""
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        db: Database = self.app_state.db
        token = bearer_token(request.headers.get("authorization"))
        viewer, failure = preauthenticated(request.scope), None
        try:
            if viewer is None:
                viewer = await authenticate(db, token)
        except Exception:  # database down or not migrated: answer UNAVAILABLE, never a 500
            failure = uuid.uuid4().hex[:12]
            log.exception("authentication failed, error %s", failure)
        ctx = Context(db=db, settings=self.settings, viewer=viewer, request=request, response=response,
                      unavailable_error_id=failure)
        ctx.after_commit.extend(self.app_state.after_commit)
        ctx.request_id = current_request_id() or ctx.request_id  # the id in logs and X-Request-Id
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


def create_app(settings: Settings | None = None, db: Database | None = None, *,
               mail_sender: Sender | None = None, clock: Clock | None = None) -> Starlette:
    """`mail_sender` and `clock` replace the configured sender and the wall clock of the
    scheduled-send scheduler (tests count sends and move time without waiting)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_db = db is None
        app.state.db = db or Database.connect(settings.database_url, schema=settings.database_schema)
        app.state.after_commit = []
        # Built first: a bad mail setting stops the start before anything runs.
        mail = MailSettings()
        scheduler = Scheduler(app.state.db, mail_sender or configured_sender(mail), settings=mail,
                              clock=clock or utcnow, after_commit=app.state.after_commit)
        live = LiveUpdates(app.state.db, settings, websocket_viewer)
        await live.start()
        app.state.live = live
        app.state.after_commit.append(live.after_commit)
        count_statements(app.state.db)
        webhooks = WebhookWorker(app.state.db, settings,
                                 on_attempt=lambda attempt: metrics.observe_webhook_attempt(attempt.ok))
        live.on_new_events(webhooks.wake)
        live.on_new_events(cache.forget_before)
        webhooks.start()
        app.state.webhooks = webhooks
        await scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            await scheduler.stop()
            await cache.close()
            await webhooks.stop()
            await live.stop()
            if own_db:
                await app.state.db.dispose()

    metrics = Metrics()
    app = Starlette(lifespan=lifespan, middleware=[Middleware(RequestObservation, metrics=metrics)])
    graphql = RelateGraphQL(
        app.state, settings,
        graphql_ide="graphiql" if settings.graphiql else None,
        multipart_uploads_enabled=True,
        allowed_origins=settings.ws_allowed_origins,
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
    )
    cache = ResponseCache(MultipartGuard(graphql, app.state), app.state, settings, graphql.schema._schema)
    app.router.routes.extend([
        # Multipart uploads need a CSRF preflight header and have a size ceiling (server/uploads.py).
        # Rate, content type and body size first (server/limits.py).
        # Read queries answered from the response cache skip the view (server/response_cache.py).
        Route("/graphql", RequestLimits(cache, settings), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *health.routes(app.state),
        *([Route("/metrics", metrics_endpoint(metrics, app.state))] if settings.metrics_enabled else []),
        *demo.routes(),
        download_route(app.state, settings),
    ])
    app.state.db = db
    app.state.after_commit = []
    app.state.metrics = metrics
    app.state.response_cache = cache
    return app

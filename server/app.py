"""The composition root: Starlette app, GraphQL view, lifespan for shared resources."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET

from graph.db import Database
from graph.files import FileStore
from graph.mail import Sender
from graph.models import utcnow
from graph.queries.principals import Viewer
from graph.rules.text_limits import use_email_body_limit
from resolvers.context import Context
from schema.build import build_schema
from server.auth import TokenRecheck, authenticate, bearer_token, token_from_init_payload
from server import demo, graphiql, health
from server.asgi_body import BodyTooLarge
from server.browsers import cors_middleware, websocket_origins
from server.compiled_reads import CompiledReads
from server.graphql_http import GraphQLOverHttp, mark_request_error
from server.identity import IdentityProvider
from server.downloads import download_route
from server.http_operations import http_refusal
from server.observability import Metrics, RequestObservation, count_statements, metrics_endpoint
from server.request_scope import current_request_id
from server.recycle_bin import PurgeJob
from server.scheduler import Clock, MailSettings, Scheduler, configured_sender
from server.limits import RequestLimits
from server.refusals import Refusal, internal_error, refusal_for_status
from server.response_cache import ResponseCache, preauthenticated
from server.settings import Settings, get_settings
from server.uploads import MultipartGuard
from subscriptions.live import LiveUpdates
from subscriptions.render_once import RenderOnceExecutor
from subscriptions.webhooks import WebhookWorker
from subscriptions.websocket import LiveLegacyWSHandler, LiveTransportWSHandler, LiveWebSocketAdapter

log = logging.getLogger("relate")


# The close reason of a refused `connection_init` (R-WEB-5); clients must not retry 4403.
TOKEN_REFUSED_REASON = "Forbidden: no valid bearer token in connection_init; do not retry with it"


class RelateWebSocketAdapter(LiveWebSocketAdapter):
    """Says why a socket closes with 4403: Strawberry's reason is a bare "Forbidden", and
    4403 is only ever a refused token here (clients show the reason; docs/clients.md)."""

    async def close(self, code: int, reason: str) -> None:
        await super().close(code, TOKEN_REFUSED_REASON if code == 4403 else reason)


class RelateGraphQL(GraphQL):
    """Strawberry's ASGI view with our context: viewer from the token, loaders per request.
    Websockets get a bounded send and typed refusals (subscriptions/websocket.py)."""

    graphql_transport_ws_handler_class = LiveTransportWSHandler
    graphql_ws_handler_class = LiveLegacyWSHandler

    websocket_adapter_class = RelateWebSocketAdapter  # type: ignore[assignment]

    def __init__(self, app_state: Any, settings: Settings, **kw: Any) -> None:
        schema = build_schema(settings)
        schema.execution_context_class = RenderOnceExecutor  # live events rendered once per class
        super().__init__(schema, **kw)
        self.app_state = app_state
        self.settings = settings

    def encode_json(self, data: object) -> str:
        """orjson: several times faster than the standard library on a page of 50 nodes.
        A str, not bytes, so websocket messages stay text frames."""
        return orjson.dumps(data).decode()

    async def render_graphql_ide(self, request: Request) -> Any:  # type: ignore[override]
        """Relate's GraphiQL page, its files served from here (server/graphiql.py)."""
        return graphiql.graphiql_page()

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Flags a request that failed before execution, for the media-type rules of
        server/graphql_http.py."""
        if isinstance(result, PreExecutionError):
            mark_request_error(getattr(request, "scope", None))
        return await super().process_result(request, result)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP refusals in the one JSON shape (server/refusals.py), never plain text or a 500 page."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive=receive))
        except Refusal as refused:
            response = refused.response()
        except HTTPException as exc:
            response = refusal_for_status(exc.status_code, exc.reason)
        except BodyTooLarge:
            raise  # the guard around the view answers 413
        except Exception as exc:  # a bug outside execution (which masks its own): logged, masked
            response = internal_error("the GraphQL view", exc)
        await response(scope, receive, send)

    async def execute_single(self, request: Request, request_adapter: Any, sub_response: Any,  # type: ignore[override]
                             context: Context, root_value: Any, request_data: GraphQLRequestData) -> Any:
        """Subscriptions and GET mutations are refused before anything runs (server/http_operations.py)."""
        refused = http_refusal(request_adapter.method, request_data.query, request_data.operation_name,
                               self.settings.max_tokens)
        if refused is not None:
            raise refused
        return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                            request_data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        db: Database = self.app_state.db
        use_email_body_limit(self.settings.max_email_body_chars)  # for the commands of this request
        token = bearer_token(request.headers.get("authorization"))
        viewer, failure = preauthenticated(request.scope), None
        try:
            if viewer is None:
                viewer = await authenticate(db, token, getattr(self.app_state, "identity", None))
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


def websocket_token(context: Context) -> str | None:
    return token_from_init_payload(context.connection_params) or bearer_token(
        context.request.headers.get("authorization") if context.request else None
    )


def _identity(context: Context) -> Any:
    state = getattr(getattr(context.request, "app", None), "state", None)
    return getattr(state, "identity", None)


async def websocket_viewer(context: Context) -> Viewer | None:
    """The websocket's user as of now, when it connects."""
    return await authenticate(context.db, websocket_token(context), _identity(context))


def live_viewer(recheck: TokenRecheck) -> Callable[[Context], Awaitable[Viewer | None]]:
    """The websocket's user as of now, asked again before every batch of events (R-LIVE-4):
    all the subscribers one event wakes are asked together, in one statement."""
    async def viewer(context: Context) -> Viewer | None:
        return await recheck.viewer(websocket_token(context), _identity(context))
    return viewer


def create_app(settings: Settings | None = None, db: Database | None = None, *,
               mail_sender: Sender | None = None, clock: Clock | None = None) -> Starlette:
    """`mail_sender` and `clock` replace the configured sender and the wall clock of the
    scheduled-send scheduler (tests count sends and move time without waiting)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_db = db is None
        app.state.db = db or Database.connect(settings.database_url, schema=settings.database_schema,
                                               write_wait_seconds=settings.sqlite_write_wait_seconds)
        app.state.after_commit = []
        # Built first: a bad mail setting stops the start before anything runs.
        mail = MailSettings()
        scheduler = Scheduler(app.state.db, mail_sender or configured_sender(mail), settings=mail,
                              clock=clock or utcnow, after_commit=app.state.after_commit)
        live = LiveUpdates(app.state.db, settings, live_viewer(TokenRecheck(app.state.db)))
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
        purge = PurgeJob(app.state.db, FileStore(settings.file_store_dir), keep_days=settings.recycle_bin_days)
        purge.start()
        app.state.purge = purge
        try:
            yield
        finally:
            await purge.stop()
            await scheduler.stop()
            await cache.close()
            await compiled.close()
            await webhooks.stop()
            await live.stop()
            if own_db:
                await app.state.db.dispose()

    metrics = Metrics()
    app = Starlette(lifespan=lifespan, middleware=[*cors_middleware(settings),
                                                        Middleware(RequestObservation, metrics=metrics)])
    graphql = RelateGraphQL(
        app.state, settings,
        graphql_ide="graphiql" if settings.graphiql else None,
        multipart_uploads_enabled=True,
        allowed_origins=websocket_origins(settings),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
    )
    compiled = CompiledReads(MultipartGuard(graphql, app.state), app.state, settings, graphql.schema)
    cache = ResponseCache(compiled, app.state, settings, graphql.schema._schema)
    app.router.routes.extend([
        # Multipart uploads need a CSRF preflight header and have a size ceiling (server/uploads.py).
        # Rate, content type and body size first (server/limits.py).
        # Read queries answered from the response cache skip the view (server/response_cache.py);
        # hot reads the planner compiled skip Strawberry's execution (server/compiled_reads.py).
        # Media types, persisted queries and batches in between (server/graphql_http.py).
        Route("/graphql", RequestLimits(GraphQLOverHttp(cache, settings), settings)),  # other methods: a typed 405 from the view
        WebSocketRoute("/graphql", graphql),
        *health.routes(app.state),
        *([Route("/metrics", metrics_endpoint(metrics, app.state))] if settings.metrics_enabled else []),
        *demo.routes(),
        *(graphiql.routes() if settings.graphiql else []),
        download_route(app.state, settings),
    ])
    app.state.db = db
    app.state.after_commit = []
    app.state.identity = IdentityProvider.configured(settings)
    app.state.metrics = metrics
    app.state.response_cache = cache
    return app

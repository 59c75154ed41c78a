"""Prometheus metrics, the request-id middleware and the SQL statement counter.

One `Metrics` (its own registry, so several apps in one process — tests — never collide)
per app. What is counted where:
- `RequestObservation` (pure ASGI middleware): a request id per HTTP request or websocket
  (`X-Request-Id` in and out), HTTP requests and latency by route, open websockets, and
  SQL statements per request once the request is over;
- `OperationMetrics` (server/operation_metrics.py, a *synchronous* Strawberry extension:
  async per-field hooks cost 4–5× on our pages): GraphQL operations by root field, type
  and outcome, with latency;
- `count_statements`: an engine `before_cursor_execute` hook adding to the current
  request's counter (transaction control excluded, like the tests' `sql` fixture);
- `refresh` at scrape time: live subscriptions, outbox lag (events and seconds) and the
  webhooks' backlog, read from the live-update machinery and the database.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import event, func, or_, select
from starlette.requests import Request
from starlette.responses import Response

from graph.db import Database
from graph.models import OutboxEvent, utcnow
from graph.queries import webhooks as webhook_queries
from server import request_scope
from server.request_scope import REQUEST_ID_HEADER

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATEMENT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
IGNORED_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE", "SET ")
ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics", "/demo", "/files")


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.operations = Counter("relate_graphql_operations", "GraphQL operations by root field(s), type "
                                  "and outcome (ok, user_error, error, rejected, internal, cancelled)",
                                  ["operation", "type", "outcome"], registry=r)
        self.operation_seconds = Histogram("relate_graphql_operation_duration_seconds",
                                           "Time to answer a GraphQL query or mutation",
                                           ["operation", "type"], buckets=LATENCY_BUCKETS, registry=r)
        self.http_requests = Counter("relate_http_requests", "HTTP requests by route, method and status",
                                     ["route", "method", "status"], registry=r)
        self.http_seconds = Histogram("relate_http_request_duration_seconds", "HTTP request latency by route",
                                      ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.sql_statements = Histogram("relate_sql_statements_per_request",
                                        "SQL statements one HTTP request sent (transaction control excluded)",
                                        ["operation"], buckets=STATEMENT_BUCKETS, registry=r)
        self.websockets = Gauge("relate_websocket_connections", "Open websocket connections", registry=r)
        self.subscriptions = Gauge("relate_live_subscriptions", "Active live-update subscriptions", registry=r)
        self.outbox_head = Gauge("relate_outbox_head_seq", "Newest stamped event (seq)", registry=r)
        self.outbox_lag_events = Gauge("relate_outbox_lag_events", "Committed events this process has not "
                                       "dispatched yet (unstamped, plus stamped past its position)", registry=r)
        self.outbox_lag_seconds = Gauge("relate_outbox_lag_seconds",
                                        "Age of the oldest event not dispatched yet (0 when none)", registry=r)
        self.webhook_deliveries = Counter("relate_webhook_deliveries", "Events delivered to webhooks", registry=r)
        self.webhook_failures = Counter("relate_webhook_delivery_failures",
                                        "Failed webhook delivery attempts (each is retried)", registry=r)
        self.webhook_backlog = Gauge("relate_webhook_backlog_events",
                                     "Largest number of events an active webhook has yet to get past", registry=r)

    def observe_operation(self, operation: str, kind: str, outcome: str, seconds: float | None) -> None:
        self.operations.labels(operation, kind, outcome).inc()
        if seconds is not None:
            self.operation_seconds.labels(operation, kind).observe(seconds)

    def observe_webhook_attempt(self, ok: bool) -> None:
        (self.webhook_deliveries if ok else self.webhook_failures).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# --- SQL statements per request ------------------------------------------------------------


def _on_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    scope = request_scope.current()
    if scope is not None and not statement.lstrip()[:9].upper().startswith(IGNORED_SQL):
        scope.sql_statements += 1


def count_statements(db: Database) -> None:
    """Idempotent: apps sharing a database (tests) must not count a statement twice."""
    for engine in db.engines:
        if not event.contains(engine.sync_engine, "before_cursor_execute", _on_cursor_execute):
            event.listen(engine.sync_engine, "before_cursor_execute", _on_cursor_execute)


# --- the middleware ------------------------------------------------------------------------


def route_of(path: str) -> str:
    """A bounded label: the known routes, everything else is `other`."""
    for route in ROUTES:
        if path == route or path.startswith(route + "/"):
            return route
    return "other"


class RequestObservation:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        offered = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                        if k == b"x-request-id"), None)
        current, token = request_scope.begin(request_scope.new_request_id(offered))
        current.observer = self.metrics
        try:
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send, current.request_id)
            else:
                await self._http(scope, receive, send, current)
        finally:
            request_scope.end(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "websocket.accept":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        self.metrics.websockets.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.websockets.dec()

    async def _http(self, scope: Scope, receive: Receive, send: Send, current: request_scope.RequestScope) -> None:
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()),
                                      (REQUEST_ID_HEADER.lower().encode(), current.request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = route_of(scope.get("path", ""))
            self.metrics.http_requests.labels(route, scope.get("method", ""), str(status)).inc()
            self.metrics.http_seconds.labels(route).observe(time.perf_counter() - started)
            if route != "/metrics":
                self.metrics.sql_statements.labels(current.operation or route).observe(current.sql_statements)


# --- values read at scrape time ------------------------------------------------------------


async def refresh(metrics: Metrics, db: Database, live: Any, webhooks_enabled: bool = True) -> None:
    """Gauges that are cheaper to read when scraped than to keep up to date on every event."""
    position = int(getattr(getattr(live, "dispatcher", None), "position", 0) or 0)
    metrics.subscriptions.set(int(getattr(getattr(live, "dispatcher", None), "subscriber_count", 0) or 0))
    async with db.read() as session:
        head = int(await session.scalar(select(func.coalesce(func.max(OutboxEvent.seq), 0))) or 0)
        unstamped = int(await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.seq.is_(None))) or 0)
        oldest = await session.scalar(select(func.min(OutboxEvent.created_on)).where(
            or_(OutboxEvent.seq.is_(None), OutboxEvent.seq > position)))
        backlog = await webhook_queries.backlog(session) if webhooks_enabled else {}
    metrics.outbox_head.set(head)
    metrics.outbox_lag_events.set(max(0, head - position) + unstamped)
    metrics.outbox_lag_seconds.set(max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0)
    metrics.webhook_backlog.set(max(backlog.values(), default=0))


def metrics_endpoint(metrics: Metrics, app_state: Any) -> Callable[[Request], Awaitable[Response]]:
    async def scrape(_: Request) -> Response:
        db = getattr(app_state, "db", None)
        if db is not None:
            await refresh(metrics, db, getattr(app_state, "live", None))
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
    return scrape

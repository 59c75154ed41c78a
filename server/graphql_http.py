"""GraphQL over HTTP for stock clients (R-WEB-3): media types, persisted queries, batches.

ASGI middleware in front of the response cache and the view, inside the HTTP limits (so
the body it reads is already capped and rate-limited):

- **Media type.** `Accept: application/graphql-response+json` (preferred over, or instead
  of, `application/json`) gets that media type, and the status codes the
  GraphQL-over-HTTP spec gives it: a request that fails before execution (syntax,
  validation, unknown operation) is 400 with no `data` entry; anything that executed is
  200. With `application/json` (or no preference) answers are as before: 200 for every
  well-formed GraphQL response. An `Accept` naming neither (nor HTML for GraphiQL) is 406.
- **Automatic persisted queries** (server/persisted_queries.py), in JSON POSTs and in GET
  query strings (`extensions` as JSON), the way Apollo's PersistedQueryLink sends them.
- **Batches.** A JSON array of operations runs them one after the other (in order, each
  with its own authentication, persisted-query lookup and cache), answering an array in
  the same order. `RELATE_BATCH_MAX` caps the count; 0 turns batching off.

Multipart uploads and websockets pass through untouched.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.rules.errors import ErrorCode
from server.asgi_body import header, read_body, replay
from server.persisted_queries import PersistedQueries, PersistedQueryProblem
from server.refusals import refuse
from server.settings import Settings

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# Set by the view (server/app.py) when an operation failed before execution.
REQUEST_ERROR = "relate.request_error"


def mark_request_error(scope: Any) -> None:
    """The view calls this for a request error (parse/validation): this middleware then
    answers 400 under application/graphql-response+json."""
    if isinstance(scope, dict):
        scope.setdefault("state", {})[REQUEST_ERROR] = True


def negotiate(accept: str | None) -> str | None:
    """The response media type for an `Accept` header; None when none is acceptable.

    The higher q-value wins; on a tie the order in the header decides, as browsers and
    Apollo Client 3.8+ (`application/graphql-response+json,application/json;q=0.9`) mean it.
    No `Accept` (or `*/*`) keeps the legacy `application/json`.
    """
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        chosen = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE, JSON: JSON, "application/*": JSON, "*/*": JSON,
                  "text/html": JSON}.get(media)
        if chosen is not None and (best is None or quality > best[0]):
            best = (quality, position, chosen)
    return best[2] if best else None


def _graphql_error(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class GraphQLOverHttp:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.batch_max = settings.batch_max
        self.persisted = PersistedQueries(settings.persisted_queries_max)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        media = negotiate((header(scope, b"accept") or b"").decode("latin-1"))
        if media is None:
            await refuse(scope, receive, send, 406, ErrorCode.NOT_ACCEPTABLE,
                         f"Accept must allow {GRAPHQL_RESPONSE} or {JSON}")
            return
        if scope["method"] == "GET":
            await self._get(scope, receive, send, media)
            return
        kind = (header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        if kind != JSON.encode():
            await self.app(scope, receive, send)  # multipart uploads: server/uploads.py
            return
        body = await read_body(scope, receive, None)  # RequestLimits has capped it
        if b"persistedQuery" not in body and not body.lstrip().startswith(b"["):
            await self.app(scope, replay(body, receive), _Negotiated(send, media, scope))  # as it came
            return
        try:
            # The standard library, as Strawberry: it takes what clients send (escaped lone
            # surrogates, which orjson refuses) and the view then decides about them.
            payload = json.loads(body)
        except ValueError:
            await refuse(scope, receive, send, 400, ErrorCode.BAD_REQUEST, "the request body is not valid JSON")
            return
        if isinstance(payload, list):
            await self._batch(scope, receive, payload, send, media)
            return
        if not isinstance(payload, dict):
            await refuse(scope, receive, send, 400, ErrorCode.BAD_REQUEST,
                         "the request body must be a JSON object (or an array of them)")
            return
        await self._post_one(scope, payload, send, media, receive)

    async def _post_one(self, scope: Scope, operation: dict[str, Any], send: Send, media: str,
                        receive: Receive | None = None) -> None:
        resolved = self.persisted.resolve(operation)
        if isinstance(resolved, PersistedQueryProblem):
            await _problem(send, resolved, media)
            return
        body = body_of(resolved)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        inner = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        await self.app(inner, replay(body, receive), _Negotiated(send, media, inner))

    async def _get(self, scope: Scope, receive: Receive, send: Send, media: str) -> None:
        params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        fields = dict(params)
        if "extensions" in fields:
            try:
                extensions = json.loads(fields["extensions"])
            except ValueError:
                await refuse(scope, receive, send, 400, ErrorCode.BAD_REQUEST,
                             "the extensions parameter is not valid JSON")
                return
            resolved = self.persisted.resolve({"query": fields.get("query"), "extensions": extensions})
            if isinstance(resolved, PersistedQueryProblem):
                await _problem(send, resolved, media)
                return
            if "query" not in fields and isinstance(resolved.get("query"), str):
                params.append(("query", resolved["query"]))
            scope = {**scope, "query_string": urlencode(params).encode("latin-1")}
        await self.app(scope, receive, _Negotiated(send, media, scope))

    async def _batch(self, scope: Scope, receive: Receive, operations: list[Any], send: Send,
                     media: str) -> None:
        if self.batch_max <= 0:
            await refuse(scope, receive, send, 400, ErrorCode.BATCHING_DISABLED,
                         "batched operations are turned off on this server")
            return
        if not operations or len(operations) > self.batch_max:
            code = ErrorCode.BATCH_TOO_LARGE if operations else ErrorCode.BAD_REQUEST
            await refuse(scope, receive, send, 400, code,
                         f"a batch holds 1 to {self.batch_max} operations, not {len(operations)}",
                         maxOperations=self.batch_max)
            return
        results: list[Any] = []
        for operation in operations:
            if not isinstance(operation, dict):
                results.append(_graphql_error("each operation of a batch must be a JSON object", "BAD_REQUEST"))
                continue
            own = {**scope, "state": dict(scope.get("state") or {})}
            captured = _Captured()
            await self._post_one(own, operation, captured, media)
            results.append(captured.result())
        body = orjson.dumps(results)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def body_of(operation: dict[str, Any]) -> bytes:
    """ASCII JSON: escapes travel on as the client sent them (see `__call__`)."""
    return json.dumps(operation).encode()


async def _problem(send: Send, problem: PersistedQueryProblem, media: str) -> None:
    body = orjson.dumps(_graphql_error(problem.message, problem.code))
    await send({"type": "http.response.start", "status": problem.status,
                "headers": [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})




class _Negotiated:
    """Passes a response on, relabelled `application/graphql-response+json` when that was
    asked for, with 400 and no `data` for a request error (GraphQL-over-HTTP spec)."""

    def __init__(self, send: Send, media: str, scope: Scope) -> None:
        self.send = send
        self.media = media
        self.scope = scope
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if self.media != GRAPHQL_RESPONSE:
            await self.send(message)
            return
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if not content_type.startswith(JSON.encode()):
                self.media = JSON  # HTML, plain-text refusals, streams: not ours to relabel
                await self.send(message)
                return
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        await self._flush()

    async def _flush(self) -> None:
        assert self.start is not None
        body = b"".join(self.chunks)
        status = self.start["status"]
        if (self.scope.get("state") or {}).get(REQUEST_ERROR) and status == 200:
            result = orjson.loads(body)
            result.pop("data", None)
            body, status = orjson.dumps(result), 400
        headers = [(k, v) for k, v in self.start.get("headers", [])
                   if k.lower() not in (b"content-type", b"content-length")]
        headers += [(b"content-type", GRAPHQL_RESPONSE.encode() + b"; charset=utf-8"),
                    (b"content-length", str(len(body)).encode())]
        await self.send({**self.start, "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


class _Captured:
    """Collects one operation's response inside a batch."""

    def __init__(self) -> None:
        self.status = 0
        self.content_type = b""
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.content_type = dict(message.get("headers", [])).get(b"content-type", b"")
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def result(self) -> Any:
        body = b"".join(self.chunks)
        if self.content_type.startswith(b"application/"):
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                pass
        message = body.decode("utf-8", "replace").strip() or f"HTTP {self.status}"
        return _graphql_error(message, "BAD_REQUEST")

"""The compiled read path at the HTTP edge (DESIGN §2b, docs/compiled-reads.md).

ASGI middleware between the response cache and the GraphQL view. A JSON POST or a GET
whose document Strawberry has already validated in this process (server/validated_documents.py)
and whose operation the planner compiles (resolvers/compiled) is answered here: the
viewer from the response cache's lookup or from one authentication statement on the raw
connection, the plan's statements, the projected response as bytes. Everything else —
an unknown or unsupported document, variables that do not coerce, an operation over the
cost budget, an identity-provider token, a viewer whose scope this process has not built
yet, any error while running — goes on to Strawberry untouched, whole.

Everything in front (HTTP limits, rate limits, persisted queries, batches, media types,
the response cache, request ids, metrics) works as before: only execution is replaced.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from graph.models import OrgSettings, User
from graph.queries.principals import known_scope, token_lookup
from graph.raw_reads import Prepared, RawReads
from graph.rules.tokens import token_digest
from graph.rules.access import Scope as ViewerScope
from resolvers.compiled.planner import Planner
from server import request_scope
from server.asgi_body import header, read_body, replay
from server.auth import bearer_token
from server.identity import looks_like_jwt
from server.response_cache import preauthenticated
from server.settings import Settings

log = logging.getLogger("relate.compiled")
JSON = b"application/json"
PLACEHOLDER = "compiled-reads-token"


class CompiledReads:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, app_state: Any, settings: Settings, schema: Any) -> None:
        self.app = app
        self.app_state = app_state
        self.settings = settings
        self.enabled = settings.compiled_reads
        self.schema = schema
        self.reads: RawReads | None = None
        self.planner: Planner | None = None
        self._auth: tuple[Prepared, int] | None = None

    def _ready(self) -> Planner | None:
        if self.planner is None:
            db = getattr(self.app_state, "db", None)
            if db is None:
                return None
            self.reads = RawReads(db)
            if not self.reads.available:
                self.enabled = False
                return None
            self.reads.on_statement.append(request_scope.count_statement)
            self.planner = Planner(self.schema, self.schema.validated_documents, self.reads,
                                   max_cost=self.settings.max_cost,
                                   default_page_size=self.settings.default_page_size)
        return self.planner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope.get("method") not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["method"] == "POST":
            kind = (header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
            if kind != JSON:
                await self.app(scope, receive, send)
                return
            body = await read_body(scope, receive, None)  # RequestLimits has capped it
            receive = replay(body, receive)
        answer = await self._answer(scope, body)
        if answer is None:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", JSON), (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    async def _answer(self, scope: Scope, body: bytes) -> bytes | None:
        planner = self._ready()
        if planner is None:
            return None
        request = _request(scope, body)
        if request is None:
            return None
        query, operation_name, variables = request
        prepared = planner.prepare(query, operation_name, variables)
        if prepared is None:
            return None
        viewer_scope = await self._scope(scope)
        if viewer_scope is None:
            return None
        return await planner.run(prepared, viewer_scope)

    async def _scope(self, scope: Scope) -> ViewerScope | None:
        """The viewer's scope: the response cache's lookup, else one statement on the raw
        connection (token, active user, security stamp: a revoked token finds no row at
        once); None (Strawberry answers) when the scope is not built in this process yet."""
        viewer = preauthenticated(scope)
        if viewer is not None:
            return viewer.scope
        token = bearer_token((header(scope, b"authorization") or b"").decode("latin-1"))
        if token is None or (getattr(self.app_state, "identity", None) is not None and looks_like_jwt(token)):
            return None
        assert self.reads is not None
        try:
            rows = (await self.reads.fetch_prepared([self._token_statement(token)]))[0]
        except Exception:  # database down: the view answers UNAVAILABLE as it always did
            log.debug("compiled path: authentication failed", exc_info=True)
            return None
        if not rows:
            return None
        user_id, stamp = rows[0]
        return known_scope(user_id, int(stamp))

    def _token_statement(self, token: str) -> Prepared:
        """Authentication's statement (graph/queries/principals.py `token_lookup`, reduced to
        the user and the stamp), prepared once; each request puts its token's digest in."""
        assert self.reads is not None
        if self._auth is None:
            prepared = self.reads.prepare(token_lookup(PLACEHOLDER).with_only_columns(
                User.id, OrgSettings.security_stamp))
            self._auth = (prepared, prepared.args.index(token_digest(PLACEHOLDER)))
        prepared, at = self._auth
        args = list(prepared.args)
        args[at] = token_digest(token)
        return prepared._replace(args=args)

    async def close(self) -> None:
        if self.reads is not None:
            await self.reads.close()


def _request(scope: Scope, body: bytes) -> tuple[str, str | None, dict[str, Any]] | None:
    """query, operationName and variables of a single GraphQL request, as Strawberry reads them."""
    if scope["method"] == "POST":
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
    else:
        fields = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        payload = {"query": fields.get("query"), "operationName": fields.get("operationName")}
        if fields.get("variables"):
            try:
                payload["variables"] = orjson.loads(fields["variables"])
            except orjson.JSONDecodeError:
                return None
    if not isinstance(payload, dict) or set(payload) - {"query", "operationName", "variables", "extensions"}:
        return None
    query, name, variables = payload.get("query"), payload.get("operationName"), payload.get("variables")
    if not isinstance(query, str) or not (name is None or isinstance(name, str)):
        return None
    if variables is None:
        variables = {}
    extensions = payload.get("extensions")
    # A persisted query arrives here with its text already filled in (server/graphql_http.py).
    if extensions is not None and not (isinstance(extensions, dict) and set(extensions) <= {"persistedQuery"}):
        return None
    if not isinstance(variables, dict):
        return None
    return query, name, variables

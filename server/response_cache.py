"""A response cache for read queries, never stale after a commit any client was told of.

Entries are keyed by the bearer token, the document, the operation name and the
variables, and remember the user and the organisation's security stamp the token stood
for, and the outbox head (`max(events.seq)`) read *before* the query ran. One is served
only while the token still means that user with that stamp (any change of roles, teams
or units bumps it; a revoked token or deactivated user finds nothing), the head is the
same and no committed event waits for its seq. That check is one statement: the
authentication every request makes anyway, with the head added, and the viewer it finds
goes on to the view (a miss costs what a request always cost). On PostgreSQL it is that
lookup reduced to user, stamp and head on a small pool of its own (no ORM session: no
BEGIN and ROLLBACK round trips, no statement built per request), with or without an
entry, for every token this process has seen; the viewer is the one this process built
for that user and stamp (every change to a user's details, roles, teams or units bumps
the stamp). A token not seen yet takes the full lookup instead, which builds its viewer,
so a request counts one authentication statement either way. A hit does no GraphQL work at all and says `X-Relate-Cache: hit`.

Why this is never stale (DESIGN §5: every committed change writes outbox rows in its own
transaction — activities and notes on no timeline too, graph/commands/timeline_index.py;
the relay stamps `seq` after commit, in commit order, one relay at a time):
let change C commit, and its client be told so, before a later request R. At R's check,
C's event either has no seq yet (pending: R misses) or has seq s. If s were <= the head H
an entry was stored with, s would have been stamped, and so C committed, before H was
read, hence before the entry's own reads began, and the entry shows C. So s > H: R
misses. This holds across processes and hosts: the check reads the shared database, not
anything this process heard. The dispatcher's wake-up (`forget_before`) only frees memory
early; correctness never waits for a broker.

What is cached, and why those roots are safe: server/cacheable.py. Answers must be 200
JSON without errors, up to a size, and expire after `response_cache_seconds`.

Any commit anywhere invalidates every entry: on a write-heavy system the hit rate drops,
never the freshness. Per-topic invalidation would keep more entries, but would have to
know every record a response shows (names of regarding records and parties) and that
principals change only with a stamp bump; not done.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from graphql import GraphQLSchema
from sqlalchemy import case, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.db import Database
from graph.models import OrgSettings, OutboxEvent, User
from graph.queries.principals import Viewer, token_lookup, viewer_for
from graph.rules.tokens import token_digest
from server import request_scope
from server.asgi_body import read_body, replay
from server.auth import bearer_token
from server.cacheable import Request, cached_roots_only, read_request, reviewed_roots
from server.settings import Settings

log = logging.getLogger("relate.cache")

PREAUTHENTICATED = "relate.viewer"
# The outbox head, and whether a committed event still waits for its seq (then: -1).
# PostgreSQL: one backward probe of the seq index finds both (NULLs sort first in that
# direction), whatever the planner's statistics say about NULLs. SQLite: two probes of it.
_PROBE_PG = (select(func.coalesce(OutboxEvent.seq, -1)).order_by(OutboxEvent.seq.desc().nulls_first()).limit(1)
             .scalar_subquery().label("outbox_head"))
_HEAD_SQLITE = select(func.max(OutboxEvent.seq)).scalar_subquery()
_PENDING_SQLITE = select(OutboxEvent.id).where(OutboxEvent.seq.is_(None)).exists()
_PROBE_SQLITE = case((_PENDING_SQLITE, -1), else_=_HEAD_SQLITE).label("outbox_head")
JSON = b"application/json"


def preauthenticated(scope: Any) -> Viewer | None:
    """The viewer the cache already looked up for this request (saves the statement)."""
    state = scope.get("state") if isinstance(scope, dict) else None
    return state.get(PREAUTHENTICATED) if isinstance(state, dict) else None


@dataclass(frozen=True, slots=True)
class Identity:
    viewer: Viewer
    stamp: int
    head: int
    pending: bool


async def identify(db: Database, token: str) -> Identity | None:
    """Authentication plus the outbox head, in one statement."""
    probe = _PROBE_SQLITE if db.is_sqlite else _PROBE_PG
    async with db.read() as session:
        row = (await session.execute(token_lookup(token).add_columns(probe))).first()
        if row is None:
            return None
        viewer = await viewer_for(session, row[0], row[1])
    head = int(row[2] or 0)  # no row at all: an empty log
    return Identity(viewer, int(row[1]), max(head, 0), head < 0)


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    user_id: uuid.UUID
    stamp: int
    head: int
    stored: float

    def serves(self, probe: Probe, now: float, ttl: float) -> bool:
        """Same user, same security stamp, nothing committed since, not too old."""
        return (probe.user_id == self.user_id and probe.stamp == self.stamp and probe.head == self.head
                and not probe.pending and now - self.stored <= ttl)


@dataclass(frozen=True, slots=True)
class Probe:
    """What a hit needs to know about now: the token's user and stamp, the outbox head."""

    user_id: uuid.UUID
    stamp: int
    head: int
    pending: bool


async def _keep(_connection: asyncpg.Connection) -> None:
    """Nothing to reset between uses: the probe only ever runs its one read statement
    (asyncpg's default reset is a round trip per use)."""


class LeanProbe:
    """The probe as one plain statement on a small connection pool of its own (PostgreSQL).

    It is `token_lookup` with only the columns a hit needs, compiled once: going through
    an ORM session would add a BEGIN and a ROLLBACK round trip to the one statement,
    which is most of what a hit costs.
    """

    PLACEHOLDER = "probe"

    def __init__(self, db: Database, size: int = 4) -> None:
        self.db = db
        self.size = size
        statement = token_lookup(self.PLACEHOLDER).with_only_columns(User.id, OrgSettings.security_stamp, _PROBE_PG)
        compiled = statement.compile(dialect=db.reader.dialect, compile_kwargs={"render_postcompile": True})
        self.sql = compiled.string
        names = list(compiled.positiontup or ())
        self.args = [compiled.params[n] for n in names]
        self.token_at = self.args.index(token_digest(self.PLACEHOLDER))
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                url = self.db.reader.url.set(drivername="postgresql").render_as_string(hide_password=False)
                settings = {"search_path": self.db.schema} if self.db.schema else {}
                self._pool = await asyncpg.create_pool(url, min_size=1, max_size=self.size, reset=_keep,
                                                       server_settings=settings)
            return self._pool

    async def __call__(self, token: str) -> Probe | None:
        pool = self._pool or await self._open()
        args = list(self.args)
        args[self.token_at] = token_digest(token)
        for observe in (request_scope.count_statement, *self.db.statement_listeners):
            observe(self.sql)  # counted like every other statement of the request
        row = await pool.fetchrow(self.sql, *args)
        if row is None:
            return None
        head = int(row[2] if row[2] is not None else 0)
        return Probe(row[0], int(row[1]), max(head, 0), head < 0)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


class Entries:
    """Least recently used first out, bounded by count and by bytes; entries expire."""

    def __init__(self, max_entries: int, max_bytes: int, ttl: float) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.bytes = 0
        self.hits = self.misses = self.stores = 0
        self._items: OrderedDict[bytes, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def peek(self, key: bytes) -> Entry | None:
        return self._items.get(key)

    def hit(self, key: bytes) -> None:
        self._items.move_to_end(key)
        self.hits += 1

    def miss(self, key: bytes) -> None:
        self._drop(key)
        self.misses += 1

    def put(self, key: bytes, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 4 or self.max_entries <= 0:
            return
        self._drop(key)
        self._items[key] = entry
        self.bytes += len(entry.body)
        self.stores += 1
        while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
            self._drop(next(iter(self._items)))

    def forget_before(self, head: int | None) -> None:
        """Events up to `head` were stamped: entries built before them can never hit again."""
        if head is None:
            return
        for key in [k for k, e in self._items.items() if e.head < head]:
            self._drop(key)

    def _drop(self, key: bytes) -> None:
        entry = self._items.pop(key, None)
        if entry is not None:
            self.bytes -= len(entry.body)


# --- the middleware -----------------------------------------------------------------------

class ResponseCache:
    """ASGI middleware in front of the GraphQL view (inside the HTTP limits).

    Entries are found by token (and document, operation, variables) and record the user
    and stamp the token stood for. A request with no entry authenticates as it would
    anyway (one statement, with the outbox head) and hands the viewer on to the view. A
    request with an entry probes (one statement) and is a hit only if the token still
    means the same user with the same stamp and the head has not moved.
    """

    def __init__(self, app: ASGIApp, app_state: Any, settings: Settings, schema: GraphQLSchema) -> None:
        self.app = app
        self.app_state = app_state
        self.ttl = settings.response_cache_seconds
        self.entries = Entries(settings.response_cache_entries, settings.response_cache_max_bytes, self.ttl)
        self.roots = reviewed_roots(schema) if settings.response_cache_entries > 0 else frozenset()
        self._lean: LeanProbe | None = None
        # Viewers seen, by (user, stamp): what the scope cache of graph/queries/principals.py keeps.
        self._viewers: dict[tuple[uuid.UUID, int], Viewer] = {}
        self._tokens: set[str] = set()  # digests of tokens whose viewer is in `_viewers`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.roots or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        token = bearer_token((headers.get(b"authorization") or b"").decode("latin-1"))
        wanted = headers.get(b"content-type", b"") if scope["method"] == "POST" else headers.get(b"accept", JSON)
        if token is None or (scope["method"] == "POST" and not wanted.startswith(JSON)) or b"text/html" in wanted:
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["method"] == "POST":
            body = await read_body(scope, receive, None)  # RequestLimits has capped it
            receive = replay(body, receive)
        request = read_request(scope["method"], body, scope.get("query_string", b""))
        if request is None or not cached_roots_only(request.query, request.operation_name, self.roots):
            await self.app(scope, receive, send)
            return
        key = _key(token, request)
        try:
            identity = await self._hit_or_identity(key, token, send)
        except Exception:  # the view reports the database being down, as it would without us
            log.debug("response cache: lookup failed", exc_info=True)
            identity = None
        if identity is True:
            return
        if not isinstance(identity, Identity):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[PREAUTHENTICATED] = identity.viewer
        captured = _Capture(send)
        await self.app(scope, receive, captured)
        if not identity.pending and captured.cacheable:
            self.entries.put(key, Entry(b"".join(captured.chunks), identity.viewer.user.id, identity.stamp,
                                        identity.head, time.monotonic()))


    async def _hit_or_identity(self, key: bytes, token: str, send: Send) -> Identity | bool | None:
        """True: answered from the cache. An identity: go on to the view. None: the token
        is not valid (the view says so)."""
        db: Database = self.app_state.db
        entry = self.entries.peek(key)
        identity: Identity | None
        if db.is_sqlite:  # no round trips to save: the full lookup is the probe
            identity = await identify(db, token)
            if entry is None:
                return self._remember(identity)
            probe = identity and Probe(identity.viewer.user.id, identity.stamp, identity.head, identity.pending)
        else:
            # A token this process has not seen yet takes the full lookup, which builds
            # its viewer: one statement either way, so a request costs the same statements
            # the first time as after. Else the lean statement, and the viewer this process
            # built for that user and stamp (the full lookup only if the stamp moved on).
            digest = token_digest(token)
            if entry is None and digest not in self._tokens:
                return self._remember(await identify(db, token), digest)
            self._lean = self._lean or LeanProbe(db)
            probe = await self._lean(token)
            known = self._viewers.get((probe.user_id, probe.stamp)) if probe else None
            identity = Identity(known, probe.stamp, probe.head, probe.pending) if probe and known else None
            if entry is None:
                return None if probe is None else self._remember(identity or await identify(db, token))
        if probe is None:
            self.entries.miss(key)
            return None
        if entry.serves(probe, time.monotonic(), self.ttl):
            self.entries.hit(key)
            await _answer(send, entry.body)
            return True
        self.entries.miss(key)
        return self._remember(identity or await identify(db, token))

    def _remember(self, identity: Identity | None, digest: str | None = None) -> Identity | None:
        if identity is not None:
            if len(self._viewers) > 10_000:
                self._viewers.clear()
            self._viewers[(identity.viewer.user.id, identity.stamp)] = identity.viewer
            if digest is not None:
                if len(self._tokens) > 10_000:
                    self._tokens.clear()
                self._tokens.add(digest)
        return identity

    def forget_before(self, head: int | None) -> None:
        self.entries.forget_before(head)

    async def close(self) -> None:
        if self._lean is not None:
            await self._lean.close()


def _key(token: str, request: Request) -> bytes:
    """The token stands for its user; an entry keeps the user and stamp it was built for."""
    material = orjson.dumps(
        [token_digest(token), request.query, request.operation_name, request.variables],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.blake2b(material, digest_size=20).digest()



CACHE_HEADER = b"x-relate-cache"


async def _answer(send: Send, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", JSON), (b"content-length", str(len(body)).encode()),
                            (CACHE_HEADER, b"hit")]})
    await send({"type": "http.response.body", "body": body})


class _Capture:
    """Passes the response through, keeping a copy when it may be stored."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.chunks: list[bytes] = []
        self.status = 0
        self.json = False
        self.complete = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            self.json = content_type.startswith(JSON)
            message = {**message, "headers": [*message.get("headers", []), (CACHE_HEADER, b"miss")]}
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            self.complete = not message.get("more_body", False)
        await self.send(message)

    @property
    def cacheable(self) -> bool:
        if not (self.status == 200 and self.json and self.complete):
            return False
        body = b"".join(self.chunks)
        return body.startswith(b'{"data"') and b'"errors"' not in body

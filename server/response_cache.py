"""A response cache for read queries, never stale after a commit any client was told of.

Entries are keyed by the viewer (user and the organisation's security stamp, so any
change of roles, teams or units starts a new key), the document, the operation name and
the variables. Each entry remembers the outbox head (`max(events.seq)`) read *before* the
query ran, and is served only while the head is still the same and no committed event
waits for its seq. That check rides on the authentication statement every request makes
anyway (one statement: token, user, stamp, head, pending), so a hit costs one statement
and no GraphQL work, and a miss costs what it did before.

Why this is never stale (DESIGN §5: every committed change writes outbox rows in its own
transaction; the relay stamps `seq` after commit, in commit order, one relay at a time):
let change C commit, and its client be told so, before a later request R. At R's check,
C's event either has no seq yet (pending: R misses) or has seq s. If s were <= the head H
an entry was stored with, s would have been stamped, and so C committed, before H was
read, hence before the entry's own reads began, and the entry shows C. So s > H: R
misses. This holds across processes and hosts: the check reads the shared database, not
anything this process heard. The dispatcher's wake-up (`forget_before`) only frees memory
early; correctness never waits for a broker.

What is cached: queries whose root fields are all in `CACHED_ROOTS` (timeline, lists,
counts), whose answer is 200 JSON without errors, up to a size. Those roots reach only the
types of `REVIEWED_TYPES`, checked when the app starts: a root that starts reaching a
type nobody reviewed here is simply not cached (logged). A reviewed type's fields depend
only on rows that change with an outbox event and on the viewer, not on the clock or on
unevented settings (record-type names, attachment policy, `viewer.checkedAt`, up next);
review a type before adding it. Entries also expire after `response_cache_seconds`.

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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    parse,
)
from graphql.error import GraphQLError
from graphql.type import GraphQLInterfaceType, GraphQLObjectType, GraphQLUnionType
from sqlalchemy import case, func, select, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.db import Database
from graph.models import OrgSettings, OutboxEvent, User
from graph.queries.principals import Viewer, token_lookup, viewer_for
from graph.rules.tokens import token_digest
from server.auth import bearer_token
from server.settings import Settings

log = logging.getLogger("relate.cache")

CACHED_ROOTS = frozenset({"timeline", "activities", "activityCounts", "accounts", "contacts"})
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


class LeanProbe:
    """The probe as one plain statement on a small connection pool of its own (PostgreSQL).

    It is `token_lookup` with only the columns a hit needs, compiled once: going through
    an ORM session would add a pre-ping, a BEGIN and a ROLLBACK round trip to the one
    statement, which is most of what a hit costs.
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
                async with self.db.reader.connect() as conn:
                    path = await conn.scalar(text("SHOW search_path"))
                url = self.db.reader.url.set(drivername="postgresql").render_as_string(hide_password=False)
                self._pool = await asyncpg.create_pool(url, min_size=1, max_size=self.size,
                                                       server_settings={"search_path": str(path)})
            return self._pool

    async def __call__(self, token: str) -> Probe | None:
        pool = self._pool or await self._open()
        args = list(self.args)
        args[self.token_at] = token_digest(token)
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


# --- which requests may be cached -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Request:
    query: str
    operation_name: str | None
    variables: Any


def read_request(method: str, body: bytes, query_string: bytes) -> Request | None:
    """The GraphQL request in a JSON POST body or a GET query string; None otherwise."""
    try:
        if method == "POST":
            payload = orjson.loads(body)
        else:
            params = {k: v[0] for k, v in parse_qs(query_string.decode("latin-1")).items()}
            payload = {"query": params.get("query"), "operationName": params.get("operationName"),
                       "variables": orjson.loads(params["variables"]) if params.get("variables") else None}
    except (orjson.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    query, name, variables = payload.get("query"), payload.get("operationName"), payload.get("variables")
    if not isinstance(query, str) or not (name is None or isinstance(name, str)):
        return None
    if not (variables is None or isinstance(variables, dict)):
        return None
    return Request(query, name, variables or None)


def _root_fields(selections: Iterable[Any], fragments: dict[str, FragmentDefinitionNode],
                 seen: frozenset[str] = frozenset()) -> Iterable[str] | None:
    names: list[str] = []
    for node in selections:
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            found = _root_fields(node.selection_set.selections, fragments, seen)
            if found is None:
                return None
            names.extend(found)
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is None or node.name.value in seen:
                return None
            found = _root_fields(fragment.selection_set.selections, fragments, seen | {node.name.value})
            if found is None:
                return None
            names.extend(found)
    return names


@lru_cache(maxsize=1024)
def cached_roots_only(query: str, operation_name: str | None, roots: frozenset[str]) -> bool:
    """A query (not a mutation or subscription) whose root fields are all cacheable."""
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return False
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names = _root_fields(operations[0].selection_set.selections, fragments)
    return bool(names) and all(n in roots or n == "__typename" for n in names)


# Read for what their fields depend on: rows whose changes write outbox events, the viewer
# and the variables. Sequence and its steps are reached only through the `Node` type of
# ActivityParty.party and Note.about, which return principals, records and activities.
REVIEWED_TYPES = frozenset({
    "Account", "AccountConnection", "AccountEdge", "Activity", "ActivityConnection", "ActivityCounts",
    "ActivityEdge", "ActivityParty", "ActivityStateCount", "ActivityTypeCount", "Address", "Appointment",
    "Attachment", "Case", "Contact", "ContactConnection", "ContactEdge", "Email", "Lead", "Node", "Note",
    "Opportunity", "PageInfo", "PhoneCall", "Principal", "Record", "Sequence", "SequenceStepDefinition",
    "StateCount", "Task", "Team", "TextMessage", "TimelineConnection", "TimelineCounts", "TimelineEdge",
    "TimelineEntry", "TypeCount", "User",
})


def reachable_types(schema: GraphQLSchema, root: str) -> set[str]:
    """Every object, interface and union type a query through `root` can reach."""
    query = schema.query_type
    field = query.fields.get(root) if query else None
    if field is None:
        return set()
    found: set[str] = set()
    todo = [get_named_type(field.type)]
    while todo:
        kind = todo.pop()
        if kind.name in found or not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            continue
        found.add(kind.name)
        if isinstance(kind, GraphQLUnionType):
            todo.extend(kind.types)
            continue
        if isinstance(kind, GraphQLInterfaceType):
            todo.extend(schema.get_possible_types(kind))
        todo.extend(get_named_type(f.type) for f in kind.fields.values())
    return found


def reviewed_roots(schema: GraphQLSchema, reviewed: frozenset[str] | None = None) -> frozenset[str]:
    reviewed = REVIEWED_TYPES if reviewed is None else reviewed
    roots = set()
    for root in CACHED_ROOTS:
        unreviewed = sorted(reachable_types(schema, root) - reviewed)
        if unreviewed:
            log.info("response cache: `%s` is not cached; it reaches types not reviewed for caching: %s",
                     root, ", ".join(unreviewed))
        else:
            roots.add(root)
    return frozenset(roots)


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
        body, receive = await _buffer(receive) if scope["method"] == "POST" else (b"", receive)
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
        if entry is None:
            return self._remember(await identify(db, token))
        identity: Identity | None
        if db.is_sqlite:  # no round trips to save: the full lookup is the probe
            identity = await identify(db, token)
            probe = identity and Probe(identity.viewer.user.id, identity.stamp, identity.head, identity.pending)
        else:
            self._lean = self._lean or LeanProbe(db)
            probe = await self._lean(token)
            known = self._viewers.get((probe.user_id, probe.stamp)) if probe else None
            identity = Identity(known, probe.stamp, probe.head, probe.pending) if probe and known else None
        if probe is None:
            self.entries.miss(key)
            return None
        if entry.serves(probe, time.monotonic(), self.ttl):
            self.entries.hit(key)
            await _answer(send, entry.body)
            return True
        self.entries.miss(key)
        return self._remember(identity or await identify(db, token))

    def _remember(self, identity: Identity | None) -> Identity | None:
        if identity is not None:
            if len(self._viewers) > 10_000:
                self._viewers.clear()
            self._viewers[(identity.viewer.user.id, identity.stamp)] = identity.viewer
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

async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that hands it on once, then the real one."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _answer(send: Send, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", JSON), (b"content-length", str(len(body)).encode())]})
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

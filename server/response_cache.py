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

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

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
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.db import Database
from graph.models import OutboxEvent
from graph.queries.principals import Viewer, token_lookup, viewer_for
from server.auth import bearer_token
from server.settings import Settings

log = logging.getLogger("relate.cache")

CACHED_ROOTS = frozenset({"timeline", "activities", "activityCounts", "accounts", "contacts"})
PREAUTHENTICATED = "relate.viewer"
_HEAD = select(func.coalesce(func.max(OutboxEvent.seq), 0)).scalar_subquery().label("outbox_head")
_PENDING = select(OutboxEvent.id).where(OutboxEvent.seq.is_(None)).exists().label("outbox_pending")
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
    async with db.read() as session:
        row = (await session.execute(token_lookup(token).add_columns(_HEAD, _PENDING))).first()
        if row is None:
            return None
        viewer = await viewer_for(session, row[0], row[1])
    return Identity(viewer, int(row[1]), int(row[2]), bool(row[3]))


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    head: int
    stored: float


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

    def get(self, key: bytes, head: int, now: float) -> bytes | None:
        entry = self._items.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.head != head or now - entry.stored > self.ttl:
            self._drop(key)
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return entry.body

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
    """ASGI middleware in front of the GraphQL view (inside the HTTP limits)."""

    def __init__(self, app: ASGIApp, app_state: Any, settings: Settings, schema: GraphQLSchema) -> None:
        self.app = app
        self.app_state = app_state
        self.entries = Entries(settings.response_cache_entries, settings.response_cache_max_bytes,
                               settings.response_cache_seconds)
        self.roots = reviewed_roots(schema) if settings.response_cache_entries > 0 else frozenset()

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
        try:
            identity = await identify(self.app_state.db, token)
        except Exception:  # the view reports the database being down, as it would without us
            identity = None
        if identity is None:
            await self.app(scope, receive, send)
            return
        key = _key(identity, request)
        if not identity.pending:
            body = self.entries.get(key, identity.head, time.monotonic())
            if body is not None:
                await _answer(send, body)
                return
        scope.setdefault("state", {})[PREAUTHENTICATED] = identity.viewer
        captured = _Capture(send)
        await self.app(scope, receive, captured)
        if not identity.pending and captured.cacheable:
            self.entries.put(key, Entry(b"".join(captured.chunks), identity.head, time.monotonic()))

    def forget_before(self, head: int | None) -> None:
        self.entries.forget_before(head)


def _key(identity: Identity, request: Request) -> bytes:
    material = orjson.dumps(
        [str(identity.viewer.user.id), identity.stamp, request.query, request.operation_name, request.variables],
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

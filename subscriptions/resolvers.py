"""Subscription resolvers: timelineChanged, workListChanged, recordChanged, and liveCursor.

Each event is pushed only after checking it for this subscriber, now (R-LIVE-4): the
websocket's token is re-authenticated (a revoked token or deactivated user ends the stream
with UNAUTHENTICATED) and the changed object is loaded with fresh loaders under the
current scope, so nothing the subscriber may not read is pushed. The check runs once per
batch the stream hands over (a replay page, or what was queued; live, usually one event):
every event of the batch is checked, with one look-up per kind of row for all of them.
The connection's context lives as long as the socket; its loaders are replaced per batch.
Each event is announced to the operation's delivery progress before it is yielded, so a
socket that stops reading is told the cursor of the last event it was actually sent.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Iterator
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

from graph.events import record_topic, timeline_topic, worklist_topic
from graph.queries.recycle_bin import binned_activities
from graph.rules.access import visibility_key
from graph.rules.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.ids import decode_id, to_global_id
from resolvers.loaders.registry import Loaders
from schema.types.activities import GRAPHQL_NAMES as ACTIVITY_NAMES
from schema.types.events import ChangeKind, RecordChangedEvent, TimelineChangedEvent, WorkListChangedEvent
from schema.types.records import GRAPHQL_NAMES as RECORD_NAMES
from subscriptions import delivery
from subscriptions import log as outbox
from subscriptions.live import LiveUpdates
from subscriptions.log import decode_cursor
from subscriptions.patience import DatabaseUnavailable
from subscriptions.delivery import Progress
from subscriptions.render_once import SharedEvent, SharedPage

T = TypeVar("T")

RECORD_TYPE_NAMES = frozenset(RECORD_NAMES.values())
ENTRY_NAMES = {**ACTIVITY_NAMES, "NOTE": "Note"}
ADDED_WORDS = frozenset({"ADDED", "CREATED"})
REMOVED_WORDS = frozenset({"REMOVED", "DELETED"})
ACCESS_WORDS = frozenset({"SHARED", "UNSHARED"})


class Unauthenticated(GraphQLError):
    def __init__(self) -> None:
        super().__init__("the token was revoked or the user deactivated; connect again",
                         extensions={"code": ErrorCode.UNAUTHENTICATED.value})


class AccessRevoked(GraphQLError):
    """The subscriber may no longer read the record (unshared, or their rights changed): the
    stream ends with this typed error rather than going quiet (R-ADM-6)."""

    def __init__(self) -> None:
        super().__init__("you may no longer read this record; its updates have stopped",
                         extensions={"code": ErrorCode.ACCESS_REVOKED.value})


def _access_changes(batch: Any) -> list[Any]:
    return [e for e in batch if e.kind == "record.changed" and e.payload.get("change") in ACCESS_WORDS]


def _running(info: Info) -> LiveUpdates | None:
    state = getattr(getattr(info.context.request, "app", None), "state", None)
    return getattr(state, "live", None)


def _live(info: Info) -> LiveUpdates:
    live = _running(info)
    if live is None:
        raise GraphQLError("live updates are not running on this server",
                           extensions={"code": "UNAVAILABLE"})
    return live


def _position(after: str | None) -> int | None:
    if after is None:
        return None
    seq = decode_cursor(after)
    if seq is None:
        raise DomainError(ErrorCode.VALIDATION, f"'{after}' is not a live-update cursor", ["after"])
    return seq


def _record_id(global_id: str, argument: str) -> uuid.UUID:
    return decode_id(global_id, RECORD_TYPE_NAMES, [argument])


async def _readable_record(info: Info, live: LiveUpdates, record_id: uuid.UUID) -> None:
    readable = await live.reads.run(lambda: info.context.fresh_loaders().record_by_id.load(record_id)) is not None
    info.context.drop_loaders()  # a subscription that waits for events holds no loaders
    if not readable:
        raise DomainError(ErrorCode.NOT_FOUND, "record not found")


async def _recheck(info: Info, live: LiveUpdates) -> Hashable:
    """Who is listening, as of this batch: fresh viewer and scope (one statement for every
    subscriber woken by the same events, server/auth.py); its visibility class."""
    viewer = await live.reads.run(lambda: live.reauthenticate(info.context), turn=False)
    info.context.viewer = viewer
    if viewer is None:
        raise Unauthenticated()
    return _visibility(viewer.scope)


_classes: dict[int, tuple[Any, Hashable]] = {}


def _visibility(scope: Any) -> Hashable:
    """visibility_key, worked out once per scope object (scopes are cached per user and
    security stamp, so the same object comes back for every event until roles change)."""
    known = _classes.get(id(scope))
    if known is not None and known[0] is scope:
        return known[1]
    if len(_classes) > 10_000:
        _classes.clear()
    key = visibility_key(scope)
    _classes[id(scope)] = (scope, key)
    return key


async def _class_view(info: Info, live: LiveUpdates, topic: str, visibility: Hashable, batch: list[Any],
                      load: Callable[[Loaders], Awaitable[T]]) -> tuple[Loaders, T]:
    """What `batch` shows to this visibility class, loaded once for the whole class with
    fresh loaders (subscriptions/render_once.py)."""
    key = (topic, visibility, batch[0].seq, batch[-1].seq, len(batch))

    async def compute() -> tuple[Loaders, T]:
        loaders = info.context.fresh_loaders()
        return loaders, await load(loaders)

    try:
        return await live.views.run(key, lambda: live.reads.run(compute))
    except DatabaseUnavailable:
        raise live.reads.unavailable() from None  # with this stream's cursor, not the loader's


def _shared(live: LiveUpdates, topic: str, visibility: Hashable, event: Any, value: Any, loaders: Loaders) -> Any:
    return SharedEvent(key=(topic, visibility, event.seq), value=value, loaders=loaders, renders=live.renders)


def _outgoing(live: LiveUpdates, topic: str, visibility: Hashable, progress: Progress, loaders: Loaders,
              items: list[tuple[Any, Any]]) -> Iterator[Any]:
    """What to yield for a batch's (event, value) pairs: one page for a socket that splits
    pages (render_once.py: rendered together, sent without per-result overhead), else one
    event at a time, each announced to the progress just before it is handed over."""
    if progress.splits_pages and len(items) > 1:
        yield SharedPage(tuple(event.seq for event, _ in items),
                         tuple(_shared(live, topic, visibility, event, value, loaders) for event, value in items),
                         live.plans)
        return
    for event, value in items:
        progress.handing_over(event.seq)
        yield _shared(live, topic, visibility, event, value, loaders)


def _change(word: str) -> ChangeKind:
    if word in ADDED_WORDS:
        return ChangeKind.ADDED
    if word in REMOVED_WORDS:
        return ChangeKind.REMOVED
    return ChangeKind.CHANGED


def _timeline_change(payload: dict[str, Any], record_id: uuid.UUID) -> ChangeKind:
    key = str(record_id)
    if key in payload.get("removedFrom", ()):
        return ChangeKind.REMOVED
    if key in payload.get("addedTo", ()):
        return ChangeKind.ADDED
    return ChangeKind.CHANGED


async def _entry(loaders: Loaders, entry_type: str, entry_id: uuid.UUID) -> Any:
    if entry_type in ACTIVITY_NAMES:
        return await loaders.activity_by_id.load(entry_id)
    if entry_type == "NOTE":
        return await loaders.note_by_id.load(entry_id)
    return None


def _camel(name: str) -> str:
    name = name.removesuffix("_id")
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def timeline_changed(info: Info, record_id: strawberry.ID,
                           after: str | None = None) -> AsyncGenerator[TimelineChangedEvent, None]:
    live = _live(info)
    info.context.scope  # noqa: B018 - authenticated before anything else
    raw_id = _record_id(record_id, "recordId")
    position = _position(after)
    await _readable_record(info, live, raw_id)
    progress = delivery.current()
    topic = timeline_topic(raw_id)
    async for batch in live.batches(topic, position):
        events = [e for e in batch if e.kind == "timeline.changed"]
        if not events and not _access_changes(batch):
            continue
        visibility = await _recheck(info, live)

        async def load(loaders: Loaders, events: list[Any] = events) -> list[Any]:
            return await asyncio.gather(
                loaders.record_by_id.load(raw_id),
                *(_entry(loaders, str(e.payload.get("entryType")), uuid.UUID(e.payload["entryId"])) for e in events),
            )

        loaders, (record, *entries) = await _class_view(info, live, topic, visibility, batch, load)
        if record is None:
            raise AccessRevoked()  # the timeline itself is no longer readable
        binned = await _binned(info, events, entries, raw_id)
        items = []
        for event, entry in zip(events, entries, strict=True):
            if entry is None and event.payload["entryId"] not in binned:
                continue  # not readable now (or gone): not pushed, not even counted
            entry_type = str(event.payload.get("entryType"))
            items.append((event, TimelineChangedEvent(
                cursor=event.cursor, change=_timeline_change(event.payload, raw_id), record_id=record_id,
                entry_id=strawberry.ID(to_global_id(ENTRY_NAMES.get(entry_type, entry_type),
                                                    uuid.UUID(event.payload["entryId"]))),
                entry=entry,
            )))
        for outgoing in _outgoing(live, topic, visibility, progress, loaders, items):
            yield outgoing
        info.context.drop_loaders()  # rendered: nothing of this batch is held while waiting


async def _binned(info: Info, events: list[Any], entries: list[Any], record_id: uuid.UUID) -> set[str]:
    """Entry ids of REMOVED events whose activity went to the recycle bin and was readable to
    the subscriber: pushed as REMOVED with no entry (R-QRY-4), not dropped as unreadable."""
    wanted = [uuid.UUID(e.payload["entryId"]) for e, entry in zip(events, entries, strict=True)
              if entry is None and _timeline_change(e.payload, record_id) is ChangeKind.REMOVED]
    if not wanted:
        return set()
    async with info.context.db.read() as session:
        return {str(i) for i in await binned_activities(session, info.context.scope, wanted)}


async def record_changed(info: Info, id: strawberry.ID,
                         after: str | None = None) -> AsyncGenerator[RecordChangedEvent, None]:
    live = _live(info)
    info.context.scope  # noqa: B018
    raw_id = _record_id(id, "id")
    position = _position(after)
    await _readable_record(info, live, raw_id)
    progress = delivery.current()
    topic = record_topic(raw_id)
    async for batch in live.batches(topic, position):
        events = [e for e in batch if e.kind == "record.changed"]
        if not events:
            continue
        visibility = await _recheck(info, live)
        loaders, record = await _class_view(info, live, topic, visibility, batch,
                                            lambda loaders: loaders.record_by_id.load(raw_id))
        if record is None:
            deleted = [e for e in events if e.payload.get("change") == "DELETED"]
            if deleted:  # moved to the recycle bin (R-QRY-4): say so, then the stream ends
                progress.handing_over(deleted[-1].seq)
                yield RecordChangedEvent(cursor=deleted[-1].cursor, change=ChangeKind.REMOVED,
                                         changed_fields=[], record=None)
                return
            raise AccessRevoked()
        items = [(event, RecordChangedEvent(
            cursor=event.cursor, change=_change(str(event.payload.get("change"))),
            changed_fields=[_camel(f) for f in event.payload.get("fields", ())], record=record))
            for event in events if event.payload.get("change") not in ACCESS_WORDS]  # access: not the record
        for outgoing in _outgoing(live, topic, visibility, progress, loaders, items):
            yield outgoing
        info.context.drop_loaders()


async def work_list_changed(info: Info, after: str | None = None) -> AsyncGenerator[WorkListChangedEvent, None]:
    live = _live(info)
    user_id = info.context.scope.user_id
    position = _position(after)
    progress = delivery.current()
    topic = worklist_topic(user_id)
    async for batch in live.batches(topic, position):
        events = [e for e in batch if e.kind == "worklist.changed"]
        if not events:
            continue
        visibility = await _recheck(info, live)
        raw_ids = [e.payload.get("recordId") for e in events]

        async def load(loaders: Loaders, raw_ids: list[Any] = raw_ids) -> list[Any]:
            return await asyncio.gather(*(_maybe_record(loaders, r) for r in raw_ids))

        loaders, records = await _class_view(info, live, topic, visibility, batch, load)
        items = []
        for event, raw, record in zip(events, raw_ids, records, strict=True):
            if raw and record is None:
                continue
            reason = str(event.payload.get("change") or "CHANGED")
            items.append((event, WorkListChangedEvent(
                cursor=event.cursor, change=_change(reason), reason=reason, record=record)))
        for outgoing in _outgoing(live, topic, visibility, progress, loaders, items):
            yield outgoing
        info.context.drop_loaders()


async def _maybe_record(loaders: Loaders, raw: str | None) -> Any:
    return await loaders.record_by_id.load(uuid.UUID(raw)) if raw else None


async def live_cursor(info: Info) -> str:
    """The cursor of "now": read it before loading data, subscribe with it as `after`.

    Everything committed before the call is stamped first, so it all lies before the cursor
    (your own last mutation is not replayed to you as news).
    """
    info.context.scope  # noqa: B018
    live = _running(info)
    if live is not None:
        await live.settle()
    return outbox.encode_cursor(await outbox.head(info.context.db))

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
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError

from graph.events import record_topic, timeline_topic, worklist_topic
from graph.queries.recycle_bin import binned_activities
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


async def _readable_record(info: Info, record_id: uuid.UUID) -> None:
    if await info.context.fresh_loaders().record_by_id.load(record_id) is None:
        raise DomainError(ErrorCode.NOT_FOUND, "record not found")


async def _recheck(info: Info, live: LiveUpdates) -> Loaders:
    """Who is listening, as of this event: fresh viewer, fresh scope, fresh loaders."""
    viewer = await live.reauthenticate(info.context)
    info.context.viewer = viewer
    if viewer is None:
        raise Unauthenticated()
    return info.context.fresh_loaders()


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
    await _readable_record(info, raw_id)
    progress = delivery.current()
    async for batch in live.batches(timeline_topic(raw_id), position):
        events = [e for e in batch if e.kind == "timeline.changed"]
        if not events and not _access_changes(batch):
            continue
        loaders = await _recheck(info, live)
        record, *entries = await asyncio.gather(
            loaders.record_by_id.load(raw_id),
            *(_entry(loaders, str(e.payload.get("entryType")), uuid.UUID(e.payload["entryId"])) for e in events),
        )
        if record is None:
            raise AccessRevoked()  # the timeline itself is no longer readable
        binned = await _binned(info, events, entries, raw_id)
        for event, entry in zip(events, entries, strict=True):
            if entry is None and event.payload["entryId"] not in binned:
                continue  # not readable now (or gone): not pushed, not even counted
            entry_type = str(event.payload.get("entryType"))
            progress.handing_over(event.seq)
            yield TimelineChangedEvent(
                cursor=event.cursor, change=_timeline_change(event.payload, raw_id), record_id=record_id,
                entry_id=strawberry.ID(to_global_id(ENTRY_NAMES.get(entry_type, entry_type),
                                                    uuid.UUID(event.payload["entryId"]))),
                entry=entry,
            )


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
    await _readable_record(info, raw_id)
    progress = delivery.current()
    async for batch in live.batches(record_topic(raw_id), position):
        events = [e for e in batch if e.kind == "record.changed"]
        if not events:
            continue
        loaders = await _recheck(info, live)
        record = await loaders.record_by_id.load(raw_id)
        if record is None:
            deleted = [e for e in events if e.payload.get("change") == "DELETED"]
            if deleted:  # moved to the recycle bin (R-QRY-4): say so, then the stream ends
                progress.handing_over(deleted[-1].seq)
                yield RecordChangedEvent(cursor=deleted[-1].cursor, change=ChangeKind.REMOVED,
                                         changed_fields=[], record=None)
                return
            raise AccessRevoked()
        for event in events:
            if event.payload.get("change") in ACCESS_WORDS:
                continue  # who may read it changed, not the record
            progress.handing_over(event.seq)
            yield RecordChangedEvent(cursor=event.cursor, change=_change(str(event.payload.get("change"))),
                                     changed_fields=[_camel(f) for f in event.payload.get("fields", ())],
                                     record=record)


async def work_list_changed(info: Info, after: str | None = None) -> AsyncGenerator[WorkListChangedEvent, None]:
    live = _live(info)
    user_id = info.context.scope.user_id
    position = _position(after)
    progress = delivery.current()
    async for batch in live.batches(worklist_topic(user_id), position):
        events = [e for e in batch if e.kind == "worklist.changed"]
        if not events:
            continue
        loaders = await _recheck(info, live)
        raw_ids = [e.payload.get("recordId") for e in events]
        records = await asyncio.gather(*(_maybe_record(loaders, r) for r in raw_ids))
        for event, raw, record in zip(events, raw_ids, records, strict=True):
            if raw and record is None:
                continue
            reason = str(event.payload.get("change") or "CHANGED")
            progress.handing_over(event.seq)
            yield WorkListChangedEvent(cursor=event.cursor, change=_change(reason), reason=reason, record=record)


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

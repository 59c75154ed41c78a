"""Where resuming stops: retention (RESYNC_REQUIRED), and a stream that falls behind, R-LIVE-2."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import pytest

from graph.db import Database
from graph.events import timeline_topic
from graph.models import Webhook, utcnow
from resolvers.ids import parse_global_id
from subscriptions import log as outbox
from subscriptions.log import LogEvent, decode_cursor, encode_cursor
from subscriptions.relay import stamp_pending
from subscriptions.retention import sweep
from tests.live.conftest import TIMELINE_SUB, Connect, Served, account_with_contact, caught_up, live_cursor, task_on, until
from tests.support.client import Api
from tests.support.org import Org
from tests.support.ws import StreamEnded

LiveApp = Callable[..., AbstractAsyncContextManager[Served]]


def raw(global_id: str) -> uuid.UUID:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def test_a_cursor_older_than_retention_gets_resync_required(api: Api, connect: Connect, db: Database) -> None:
    account, contact = await account_with_contact(api)
    old = await live_cursor(api)
    for n in range(3):
        await task_on(api, contact, f"Old {n}")
    await stamp_pending(db, 1000)  # the relay may or may not have got there yet; either is fine
    assert await sweep(db, utcnow() + timedelta(seconds=1)) >= 3
    async with connect("sales2") as ws:
        stale = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": old})
        with pytest.raises(StreamEnded) as ended:
            await ws.next(stale)
        assert ended.value.codes == ["RESYNC_REQUIRED"]
        assert decode_cursor(ended.value.errors[0]["extensions"]["cursor"]) is not None

        future = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": encode_cursor(10**12)})
        with pytest.raises(StreamEnded) as ended:
            await ws.next(future)
        assert ended.value.codes == ["RESYNC_REQUIRED"]

        # After a resync, a fresh cursor works as usual.
        fresh = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": await live_cursor(api)})
        await task_on(api, contact, "New")
        assert (await ws.next(fresh))["timelineChanged"]["entry"]["subject"] == "New"


async def test_the_sweeper_keeps_the_newest_event(api: Api, db: Database) -> None:
    """Cursors never restart from 1, even when every event is past retention."""
    account, contact = await account_with_contact(api)
    await task_on(api, contact, "Only")
    await stamp_pending(db, 1000)
    before = await live_cursor(api)
    await sweep(db, utcnow() + timedelta(days=1))
    assert await live_cursor(api) == before


async def test_a_subscriber_that_falls_behind_reads_the_outbox_and_loses_nothing(live_app: LiveApp) -> None:
    """More events than a subscription's queue holds arrive while it is busy: its stream
    reads them from the outbox instead, in order, each once, and is not ended (whether a
    client is too slow is its socket's business: test_live_bursts_and_stalls.py). Driven at
    the stream level, so the queue really is full before the stream looks again."""
    async with live_app(live_queue_size=2) as served:
        live = served.app.state.live
        account, contact = await account_with_contact(served.api)
        topic = timeline_topic(raw(account))
        stream = live.batches(topic, decode_cursor(await live_cursor(served.api)))
        first = asyncio.ensure_future(anext(stream))
        await until(lambda: live.dispatcher.subscriber_count == 1)
        tasks = [raw(await task_on(served.api, contact, "S0"))]
        delivered: list[LogEvent] = await asyncio.wait_for(first, 10)
        # The stream is not asked for more while more events than its queue holds are fanned out.
        tasks += [raw(await task_on(served.api, contact, f"S{n}")) for n in range(1, 6)]
        await until(lambda: caught_up(live))
        assert live.dispatcher.fell_behind == 1
        while len(delivered) < len(tasks):
            delivered += await asyncio.wait_for(anext(stream), 10)
        # Then live again, from the queue.
        tasks.append(raw(await task_on(served.api, contact, "S6")))
        delivered += await asyncio.wait_for(anext(stream), 10)
        await stream.aclose()
        await until(lambda: live.dispatcher.subscriber_count == 0)
    assert [uuid.UUID(e.payload["entryId"]) for e in delivered] == tasks
    assert live.dispatcher.fell_behind == 1


async def test_retention_keeps_what_an_active_webhook_has_not_delivered(api: Api, db: Database, org: Org) -> None:
    """R-LIVE-6 and retention: events after a live webhook's cursor outlive the retention."""
    account, contact = await account_with_contact(api)
    for n in range(4):
        await task_on(api, contact, f"Kept {n}")
    await stamp_pending(db, 1000)
    held_at = decode_cursor(await live_cursor(api))
    assert held_at is not None
    async with db.unit_of_work() as session:
        hook = Webhook(url="https://hooks.example/relate", secret="s", cursor=held_at - 3, created_on=utcnow(),
                       modified_on=utcnow(), created_by_id=org.users["admin"])
        session.add(hook)
    await sweep(db, utcnow() + timedelta(days=1))
    assert await outbox.floor(db) == held_at - 2  # the first event the webhook still needs
    async with db.unit_of_work() as session:
        (await session.get(Webhook, hook.id)).active = False  # type: ignore[union-attr]
    await sweep(db, utcnow() + timedelta(days=1))
    assert await outbox.floor(db) == held_at  # only the newest is kept

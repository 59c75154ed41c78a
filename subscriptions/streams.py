"""One subscription's events: replay after the client's cursor, then live, exactly once.

Order of work, and why it loses nothing:
1. register with the dispatcher first, so every event fanned out from now on is queued;
2. with `after`, replay `seq > after` of this topic from the outbox, in pages (every
   event fanned out before step 1 is already in the outbox, so the replay sees it);
   without `after`, start where the dispatcher is (read with the registration, no await
   in between: everything fanned out later reaches the queue);
3. then take queued events, dropping any with a seq already passed (the replay and the
   queue overlap by design); the queue holds events in seq order, as fanned out.
If the queue fills up (the subscriber fell behind, during the replay or live, say under a
burst of 500 events), the stream reads on from the outbox, then goes back to the queue:
nothing lost, nothing repeated, and the client is not told. Whether a client is too slow
is decided by its socket (subscriptions/websocket.py), which ends it with SLOW_CONSUMER.
A cursor the outbox no longer covers (retention) ends the stream with RESYNC_REQUIRED.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from functools import partial

from graphql import GraphQLError

from graph.db import Database
from graph.rules.errors import ErrorCode
from subscriptions import delivery
from subscriptions import log as outbox
from subscriptions.dispatcher import Closed, Dispatcher, FellBehind, Subscriber
from subscriptions.log import LogEvent, encode_cursor
from subscriptions.patience import LiveReads

RESYNC_REQUIRED = ErrorCode.RESYNC_REQUIRED.value
SLOW_CONSUMER = ErrorCode.SLOW_CONSUMER.value
SERVER_SHUTTING_DOWN = "SERVER_SHUTTING_DOWN"


class ResyncRequired(GraphQLError):
    def __init__(self, oldest: int | None, head: int) -> None:
        super().__init__(
            "this cursor is older than the events kept (or unknown here): reload, then "
            "subscribe again without `after`",
            extensions={"code": RESYNC_REQUIRED, "cursor": encode_cursor(head),
                        "oldestCursor": encode_cursor(oldest) if oldest else None},
        )


class SlowConsumer(GraphQLError):
    """The socket stopped taking what was sent; `last` is the last event written to it."""

    def __init__(self, last: int | None) -> None:
        super().__init__(
            "this connection stopped reading what it was sent; reconnect and resubscribe with "
            "`after` set to extensions.cursor",
            extensions={"code": SLOW_CONSUMER, "cursor": encode_cursor(last) if last is not None else None},
        )


class ShuttingDown(GraphQLError):
    def __init__(self, last: int) -> None:
        super().__init__(
            "the server is restarting; resubscribe with `after` set to extensions.cursor",
            extensions={"code": SERVER_SHUTTING_DOWN, "cursor": encode_cursor(last)},
        )


async def _start_position(db: Database, after: int) -> None:
    oldest, newest = await outbox.floor(db), await outbox.head(db)
    if after > newest or (oldest is not None and after < oldest - 1):
        raise ResyncRequired(oldest, newest)


async def topic_batches(db: Database, dispatcher: Dispatcher, topic: str, after: int | None,
                        page_size: int, reads: LiveReads) -> AsyncGenerator[list[LogEvent], None]:
    """Every event of `topic` after `after` (or from now), in seq order, each once.

    Events come in batches (a replay page, or whatever was queued), so that the caller can
    check a batch for its subscriber with one look-up per kind of row instead of one per event.
    """
    subscriber = dispatcher.subscribe(topic)
    last = dispatcher.position
    try:
        if after is not None:
            await reads.run(lambda: _start_position(db, after))
            last = after
            subscriber.behind = True  # everything up to now is in the outbox
        delivery.current().starts_after(last)
        while True:
            if subscriber.behind:
                async with aclosing(_from_outbox(db, subscriber, topic, last, page_size, reads)) as pages:
                    async for page in pages:
                        last = page[-1].seq
                        yield page
                continue
            try:
                queued = await subscriber.take()
            except FellBehind:
                continue
            except Closed:
                raise ShuttingDown(last) from None
            fresh = [event for event in queued if event.seq > last]
            if fresh:
                last = fresh[-1].seq
                yield fresh
    finally:
        dispatcher.unsubscribe(subscriber)


async def _from_outbox(db: Database, subscriber: Subscriber, topic: str, last: int,
                       page_size: int, reads: LiveReads) -> AsyncGenerator[list[LogEvent], None]:
    """Pages of `topic` after `last` until the outbox has nothing the queue will not bring.

    The queue is emptied first, so every event fanned out while this reads is queued (and
    dropped by seq if a page had it); if it fills up again meanwhile, reading goes on.
    After a full page the next one is already being read while the caller renders and
    sends this one (a replay of 10,000 events streams instead of stopping for each page).
    """
    subscriber.restart()
    reading = asyncio.ensure_future(reads.run(partial(_checked_page, db, topic, last, page_size)))
    try:
        while True:
            page = await reading
            if page:
                last = page[-1].seq
            if len(page) == page_size:
                reading = asyncio.ensure_future(reads.run(partial(_checked_page, db, topic, last, page_size)))
                yield page
                continue
            if page:
                yield page
            if not subscriber.behind:
                return
            subscriber.restart()
            reading = asyncio.ensure_future(reads.run(partial(_checked_page, db, topic, last, page_size)))
    finally:
        if not reading.done():
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)


async def _checked_page(db: Database, topic: str, last: int, page_size: int) -> list[LogEvent]:
    page = await outbox.topic_page_after(db, topic, last, page_size)
    oldest = await outbox.floor(db)
    if oldest is not None and oldest > last + 1:
        # The sweeper deleted events we had not read yet.
        raise ResyncRequired(oldest, await outbox.head(db))
    return page

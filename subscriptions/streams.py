"""One subscription's events: replay after the client's cursor, then live, exactly once.

Order of work, and why it loses nothing:
1. register with the dispatcher first, so every event fanned out from now on is queued;
2. with `after`, replay `seq > after` of this topic from the outbox, in pages (every
   event fanned out before step 1 is already in the outbox, so the replay sees it);
   without `after`, start where the dispatcher is (read with the registration, no await
   in between: everything fanned out later reaches the queue);
3. then take queued events, dropping any with a seq already passed (the replay and the
   queue overlap by design); the queue holds events in seq order, as fanned out.
If the queue overflows during the replay, the replay simply continues from the outbox.
If it overflows once live, the client is too slow: the stream ends with SLOW_CONSUMER and
the cursor to resume from. A cursor the outbox no longer covers (retention) ends the
stream with RESYNC_REQUIRED.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from graphql import GraphQLError

from graph.db import Database
from subscriptions import log as outbox
from subscriptions.dispatcher import Closed, Dispatcher, Overflowed
from subscriptions.log import LogEvent, encode_cursor

RESYNC_REQUIRED = "RESYNC_REQUIRED"
SLOW_CONSUMER = "SLOW_CONSUMER"
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
    def __init__(self, last: int) -> None:
        super().__init__(
            "too many events waiting for this subscription; resubscribe with `after` set to "
            "extensions.cursor",
            extensions={"code": SLOW_CONSUMER, "cursor": encode_cursor(last)},
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
                        page_size: int) -> AsyncGenerator[list[LogEvent], None]:
    """Every event of `topic` after `after` (or from now), in seq order, each once.

    Events come in batches (a replay page, or whatever was queued), so that the caller can
    check a batch for its subscriber with one look-up per kind of row instead of one per event.
    """
    subscriber = dispatcher.subscribe(topic)
    last = dispatcher.position
    try:
        if after is not None:
            await _start_position(db, after)
            last = after
            while True:
                page = await outbox.topic_page_after(db, topic, last, page_size)
                oldest = await outbox.floor(db)
                if oldest is not None and oldest > last + 1:
                    # The sweeper deleted events we had not read yet.
                    raise ResyncRequired(oldest, await outbox.head(db))
                if page:
                    last = page[-1].seq
                    yield page
                if len(page) < page_size:
                    if not subscriber.overflowed:
                        break
                    subscriber.restart()  # fell behind while replaying: keep reading the outbox
        while True:
            try:
                queued = await subscriber.take()
            except Overflowed:
                raise SlowConsumer(last) from None
            except Closed:
                raise ShuttingDown(last) from None
            fresh = [event for event in queued if event.seq > last]
            if fresh:
                last = fresh[-1].seq
                yield fresh
    finally:
        dispatcher.unsubscribe(subscriber)

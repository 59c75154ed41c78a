"""A busy database delays live events; it never ends a stream with INTERNAL (issue 22).

Under load the streams' reads met an exhausted connection pool (SQLAlchemy's QueuePool
timeout) and the streams ended with INTERNAL. Here the subscribers' re-check meets that
very error: first a few times (the stream waits it out and delivers everything), then for
longer than the stream's patience (each stream ends with UNAVAILABLE and the cursor of the
last event it delivered, and resuming from it loses nothing).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from graph.db import Database
from subscriptions.relay import has_pending
from tests.live.conftest import TIMELINE_SUB, Connect, account_with_contact, caught_up, live_cursor, task_on, until
from tests.support.client import Api
from tests.support.ws import GraphQLWs, StreamEnded

SUBSCRIBERS = 5


def pool_exhausted(live: Any, failures: int | None) -> list[int]:
    """The next `failures` re-checks (all of them: None) fail as a full pool does."""
    real, failed = live.reauthenticate, [0]

    async def reauthenticate(context: Any) -> Any:
        if failures is None or failed[0] < failures:
            failed[0] += 1
            raise PoolTimeout("QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 0.20")
        return await real(context)

    live.reauthenticate = reauthenticate
    return failed


async def test_streams_wait_out_a_full_pool(api: Api, app: Any, connect: Connect) -> None:
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    live = app.state.live
    async with AsyncExitStack() as stack:
        sockets: list[tuple[GraphQLWs, str]] = []
        for _ in range(SUBSCRIBERS):
            ws = await stack.enter_async_context(connect("sales2"))
            sockets.append((ws, await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})))
        await until(lambda: live.dispatcher.subscriber_count == SUBSCRIBERS)
        failed = pool_exhausted(live, failures=3)
        created = [await task_on(api, contact, "Call one"), await task_on(api, contact, "Call two")]
        await until(lambda: caught_up(live))
        for ws, op in sockets:
            got = [(await ws.next(op))["timelineChanged"]["entryId"] for _ in created]
            assert got == created
    assert failed[0] == 3
    assert live.stats()["busyRetries"] >= 3
    assert live.stats()["busyEnded"] == 0


async def test_a_stream_that_cannot_wait_longer_ends_unavailable_with_its_cursor(
        api: Api, app: Any, connect: Connect) -> None:
    account, contact = await account_with_contact(api)
    after = await live_cursor(api)
    live = app.state.live
    live.reads.patience = 0.3
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        await until(lambda: live.dispatcher.subscriber_count == 1)
        first = await task_on(api, contact, "Delivered")
        delivered = (await ws.next(op))["timelineChanged"]
        assert delivered["entryId"] == first
        real = live.reauthenticate
        pool_exhausted(live, failures=None)
        second = await task_on(api, contact, "Held up")
        with pytest.raises(StreamEnded) as ended:
            await ws.next(op)
        assert ended.value.codes == ["UNAVAILABLE"]
        assert ended.value.errors[0]["extensions"]["cursor"] == delivered["cursor"]
        assert live.stats()["busyEnded"] == 1

        # The database is well again: resuming from the cursor brings what was held up, once.
        live.reauthenticate = real
        resumed = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": delivered["cursor"]})
        assert (await ws.next(resumed))["timelineChanged"]["entryId"] == second


async def test_a_full_write_queue_puts_the_relay_off_and_the_cursor_still_answers(
        api: Api, app: Any, connect: Connect, db: Database) -> None:
    """SQLite: the relay stamps in a write transaction; when the write queue is full it
    meets WritesBusy. `liveCursor` answers all the same, and the relay stamps afterwards."""
    if not db.is_sqlite:
        pytest.skip("the in-process write queue is SQLite's")
    account, contact = await account_with_contact(api)
    live = app.state.live
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        await until(lambda: live.dispatcher.subscriber_count == 1)
        await live.relay.stop()  # so that the row is still unstamped when the queue fills
        created = await task_on(api, contact, "Committed before the queue filled")
        assert await has_pending(db)
        db.write_wait_seconds = 0.05
        turn = db._write_turn
        assert turn is not None
        await turn.acquire()  # someone else's long write
        try:
            cursor = await live_cursor(api)  # settle meets WritesBusy: answered anyway
        finally:
            turn.release()
        assert cursor
        assert await has_pending(db)  # put off, not lost
        live.relay.start()
        assert (await ws.next(op))["timelineChanged"]["entryId"] == created

"""The relay stamps the public cursor in commit order and never skips a late committer (R-LIVE-3)."""

from __future__ import annotations

import uuid

import pytest

from graph.commands.outbox import publish
from graph.db import Database
from graph.events import RecordChanged
from graph.models import utcnow
from subscriptions import log as outbox
from subscriptions.relay import has_pending, stamp_pending


def change(record_id: uuid.UUID) -> RecordChanged:
    return RecordChanged(record_id, "ACCOUNT", "UPDATED", ("name",))


async def test_a_late_committer_is_stamped_after_what_committed_before_it(db: Database, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): id order is commit order there")
    early_id, late_id = uuid.uuid4(), uuid.uuid4()
    async with db.unit_of_work() as slow:
        await publish(slow, [change(late_id)], None, utcnow())  # the smaller events.id …
        async with db.unit_of_work() as fast:
            await publish(fast, [change(early_id)], None, utcnow())
        # … but the other transaction commits first. The open one is invisible to the relay.
        first = await stamp_pending(db, 100)
        assert first.count == 1
    assert await has_pending(db)
    second = await stamp_pending(db, 100)
    assert second.count == 1 and second.high == first.high + 1
    events = await outbox.page_after(db, first.high - 1, 10)
    assert [e.payload["recordId"] for e in events] == [str(early_id), str(late_id)]
    assert events[0].topics == (f"record:{early_id}",)


async def test_stamping_is_gap_free_ordered_and_idempotent(db: Database) -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    for record_id in ids:
        async with db.unit_of_work() as session:
            await publish(session, [change(record_id)], None, utcnow())
    start = await outbox.head(db)
    stamped = await stamp_pending(db, 3)
    assert stamped.count == 3
    assert (await stamp_pending(db, 3)).count == 2
    assert (await stamp_pending(db, 3)).count == 0 and not await has_pending(db)
    events = await outbox.page_after(db, start, 10)
    assert [e.seq for e in events] == list(range(start + 1, start + 6))
    assert [e.payload["recordId"] for e in events] == [str(i) for i in ids]
    only_third = await outbox.topic_page_after(db, f"record:{ids[2]}", start, 10)
    assert [e.seq for e in only_third] == [start + 3]

"""Replay reads one topic in pages of the (topic, seq) index (R-LIVE-2): every event of the
topic after the cursor, in order, each once across page boundaries, none of another topic;
and what a replay pushes is still checked for its subscriber, event by event (R-LIVE-4)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import select

from graph.commands.outbox import publish
from graph.db import Database
from graph.events import RecordChanged, record_topic
from graph.migrate import alembic_config, upgrade
from graph.models import EventTopic, OutboxEvent, utcnow
from subscriptions import log as outbox
from subscriptions.relay import stamp_pending
from tests.live.conftest import TIMELINE_SUB, Connect, account_with_contact, live_cursor, task_on
from tests.live.test_live_permissions import give_own_activities_role
from tests.support.client import Api, gid
from tests.support.org import Org


def change(record_id: uuid.UUID, field: str) -> RecordChanged:
    return RecordChanged(record_id, "ACCOUNT", "UPDATED", (field,))


async def test_a_topic_read_in_pages_gives_each_of_its_events_once_in_order(db: Database) -> None:
    hot, other = uuid.uuid4(), uuid.uuid4()
    start = await outbox.head(db)
    for n in range(8):  # interleaved with another topic, so the hot topic's seqs have gaps
        async with db.unit_of_work() as session:
            await publish(session, [change(hot, f"f{n}")], None, utcnow())
            if n % 2:
                await publish(session, [change(other, f"g{n}")], None, utcnow())
    while (await stamp_pending(db, 5)).count:  # two passes: the copy to the topics spans both
        pass

    pages, after = [], start
    while page := await outbox.topic_page_after(db, record_topic(hot), after, 3):
        pages.append(page)
        after = page[-1].seq
    assert [len(p) for p in pages] == [3, 3, 2]
    events = [e for p in pages for e in p]
    assert [e.payload["fields"] for e in events] == [[f"f{n}"] for n in range(8)]
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs)) and seqs[0] > start
    assert all(e.topics == (record_topic(hot),) for e in events)
    # From the middle of a page: what follows, and nothing before.
    assert [e.seq for e in await outbox.topic_page_after(db, record_topic(hot), seqs[4], 10)] == seqs[5:]

    async with db.read() as session:
        copied = (await session.execute(
            select(EventTopic.seq, OutboxEvent.seq).join(OutboxEvent, OutboxEvent.id == EventTopic.event_id)
            .where(OutboxEvent.seq > start))).all()
    assert len(copied) == 12 and all(topic_seq == event_seq for topic_seq, event_seq in copied)


async def test_an_unstamped_event_is_not_replayed_until_the_relay_stamps_it(db: Database) -> None:
    record = uuid.uuid4()
    while (await stamp_pending(db, 1000)).count:
        pass
    start = await outbox.head(db)
    async with db.unit_of_work() as session:
        await publish(session, [change(record, "name")], None, utcnow())
    assert await outbox.topic_page_after(db, record_topic(record), start, 10) == []
    await stamp_pending(db, 1000)
    assert [e.seq for e in await outbox.topic_page_after(db, record_topic(record), start, 10)] == [start + 1]


async def test_a_replay_over_several_pages_pushes_exactly_what_each_subscriber_may_read(
        api: Api, connect: Connect, db: Database, org: Org) -> None:
    """Pages of 3 (the live tests' page size): seven tasks, every other one Nora's own.
    Nora (USER read depth on activities) replays her four, in order; sales2 all seven;
    then both go on live without a repeat."""
    account, contact = await account_with_contact(api)
    await give_own_activities_role(db, org.users["norole"])
    after = await live_cursor(api, as_="norole")
    written: list[tuple[str, bool]] = []
    for n in range(7):
        hers = n % 2 == 0
        owner = {"ownerId": gid("User", org.users["norole"])} if hers else {}
        written.append((await task_on(api, contact, f"Task {n}", as_="admin", **owner), hers))
    async with connect("norole") as restricted, connect("sales2") as everyone:
        hers_op = await restricted.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        all_op = await everyone.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
        replayed_hers = [(await restricted.next(hers_op))["timelineChanged"] for _ in range(4)]
        replayed_all = [(await everyone.next(all_op))["timelineChanged"] for _ in range(7)]
        live = await task_on(api, contact, "Live", as_="admin", ownerId=gid("User", org.users["norole"]))
        assert (await restricted.next(hers_op))["timelineChanged"]["entryId"] == live
        assert (await everyone.next(all_op))["timelineChanged"]["entryId"] == live
    assert [e["entryId"] for e in replayed_hers] == [task for task, hers in written if hers]
    assert [e["entry"]["subject"] for e in replayed_hers] == ["Task 0", "Task 2", "Task 4", "Task 6"]
    assert [e["entryId"] for e in replayed_all] == [task for task, _ in written]
    cursors = [e["cursor"] for e in replayed_all]
    assert len(set(cursors)) == 7


def test_the_migration_copies_each_events_seq_to_its_topics_and_back_out(tmp_path: Path) -> None:
    """0009 fills `event_topics.seq` from the events (an unstamped event's stays empty for the
    relay); downgrading drops the column and brings the old index back. SQLite: the
    migration is a plain correlated UPDATE, the same statement on PostgreSQL."""
    from alembic import command

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, revision="0008")
    with sqlite3.connect(path) as raw:
        for event_id, seq in ((1, 7), (2, 8), (3, None)):
            raw.execute("INSERT INTO events (id, seq, kind, payload, created_on) VALUES (?, ?, 'record.changed', '{}',"
                        " '2026-12-01 00:00:00')", (event_id, seq))
            raw.execute("INSERT INTO event_topics (event_id, topic) VALUES (?, 'record:a'), (?, 'record:b')",
                        (event_id, event_id))
    upgrade(url, revision="0009")
    with sqlite3.connect(path) as raw:
        rows = raw.execute("SELECT event_id, topic, seq FROM event_topics ORDER BY event_id, topic").fetchall()
        indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'event_topics'"
                                              " AND type = 'index'")}
    assert rows == [(1, "record:a", 7), (1, "record:b", 7), (2, "record:a", 8), (2, "record:b", 8),
                    (3, "record:a", None), (3, "record:b", None)]
    assert "ix_event_topics_topic_seq" in indexes and "ix_event_topics_topic" not in indexes

    command.downgrade(alembic_config(url), "0008")
    with sqlite3.connect(path) as raw:
        columns = [r[1] for r in raw.execute("PRAGMA table_info(event_topics)")]
        indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'event_topics'"
                                              " AND type = 'index'")}
        kept = raw.execute("SELECT count(*) FROM event_topics").fetchone()[0]
    assert columns == ["event_id", "topic"] and "ix_event_topics_topic" in indexes and kept == 6

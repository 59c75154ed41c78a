"""The relay: stamps the public cursor `seq` on committed outbox rows, in commit order.

Why not use `events.id`? PostgreSQL hands out ids at insert time, not at commit: a
transaction that inserted id 10 and commits after the one that inserted id 11 would be
skipped forever by a reader going by id. So one relay at a time (a transaction-scoped
advisory lock, per schema, across every process) stamps `seq = max(seq) + n` on the rows
it can see with `seq IS NULL`, ordered by id. Rows of a transaction still open are
invisible and get stamped by a later pass, after the rows that committed before them:
every pass rescans `seq IS NULL`, so a late committer is never skipped. The same pass
copies each stamped seq onto the event's topic rows (`event_topics.seq`), so a replay of
one topic reads a range of the (topic, seq) index (subscriptions/log.py).

On SQLite writers are serialised (BEGIN IMMEDIATE), so when the relay holds the write
lock every row it sees is committed and id order is commit order; the same statements
run there, without the advisory lock.

The relay runs after every commit (`kick`, from the mutation runner's after-commit
hook) and on a poll interval, which also stamps rows a crashed process left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import BigInteger, Update, bindparam, func, select, text, update

from graph.db import Database, is_busy
from graph.models import EventTopic, OutboxEvent
from subscriptions.waiting import woken

log = logging.getLogger("relate.live.relay")

# First half of the two-key advisory lock; the second is the schema, so test runs and
# tenants sharing one database do not wait on each other.
LOCK_KEY = 0x52454C41  # "RELA"
_events = OutboxEvent.__table__
_topics = EventTopic.__table__


@dataclass(frozen=True)
class Stamped:
    count: int
    high: int
    busy: bool = False


async def has_pending(db: Database) -> bool:
    async with db.read() as session:
        return await session.scalar(
            select(_events.c.id).where(_events.c.seq.is_(None)).limit(1)
        ) is not None


async def stamp_pending(db: Database, batch: int) -> Stamped:
    """Stamp up to `batch` committed rows; `busy` when another relay holds the lock."""
    async with db.unit_of_work() as session:
        if not db.is_sqlite:
            locked = await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))"),
                {"key": LOCK_KEY},
            )
            if not locked:
                return Stamped(0, 0, busy=True)
        base = int(await session.scalar(select(func.coalesce(func.max(_events.c.seq), 0))) or 0)
        pending = (
            select(_events.c.id, func.row_number().over(order_by=_events.c.id).label("rn"))
            .where(_events.c.seq.is_(None))
            .order_by(_events.c.id)
            .limit(batch)
            .subquery()
        )
        result = await session.execute(
            update(_events)
            .where(_events.c.id == pending.c.id)
            .values(seq=bindparam("base", base, type_=BigInteger) + pending.c.rn)
        )
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            await session.execute(_copy_seq_to_topics(base))
    return Stamped(count, base + count)


def _copy_seq_to_topics(base: int) -> Update:
    """The topic rows of the events just stamped (every seq above `base`: this pass holds
    the stamping turn) take their event's seq."""
    stamped = select(_events.c.id).where(_events.c.seq > bindparam("base", base, type_=BigInteger))
    return (
        update(_topics)
        .where(_topics.c.event_id.in_(stamped))
        .values(seq=select(_events.c.seq).where(_events.c.id == _topics.c.event_id).scalar_subquery())
    )


class Relay:
    """Stamps after each commit and on a poll; tells `on_stamped` the new high seq."""

    def __init__(self, db: Database, on_stamped: Callable[[int], None], *, poll_seconds: float,
                 batch: int = 1000, busy_pause: float = 0.02, busy_tries: int = 100) -> None:
        self.db = db
        self.on_stamped = on_stamped
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.busy_pause = busy_pause
        self.busy_tries = busy_tries
        self.stamped_total = 0
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # settle(): callers that ask while a pass runs share the next one (see there).
        self._settling = asyncio.Lock()
        self._asked = 0
        self._settled = 0

    def kick(self) -> None:
        """Something committed: stamp soon. Never blocks the caller."""
        self._kick.set()

    def start(self) -> None:
        self._kick.set()  # rows left unstamped by a previous run go out first
        self._task = asyncio.create_task(self._run(), name="relate-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            await woken(self._kick, self.poll_seconds)
            self._kick.clear()
            try:
                await self.drain()
                failures = 0
            except Exception as error:  # database down or busy: keep the rows, try again later
                failures += 1
                if is_busy(error):
                    log.warning("relay pass put off, the database is busy (%d in a row): %s", failures, error)
                else:
                    log.exception("relay pass failed (%d in a row)", failures)
                self._kick.set()  # the rows are still there: the next pass must not wait for a poll
                await asyncio.sleep(min(10.0, 0.1 * 2 ** min(failures, 7)))

    async def settle(self) -> None:
        """Stamp everything committed before this call, sharing the pass with every caller
        who asks meanwhile: 300 clients asking `liveCursor` at once made 300 concurrent
        passes, each taking a write turn (SQLite) or the advisory lock, and starved the
        writes they were waiting for. A pass that began after the call covers it."""
        self._asked += 1
        mine = self._asked
        async with self._settling:
            if self._settled >= mine:
                return
            covers = self._asked
            await self.drain()
            self._settled = covers

    async def drain(self) -> None:
        """Stamp until nothing committed is left unstamped."""
        tries = 0
        while await has_pending(self.db):
            result = await stamp_pending(self.db, self.batch)
            if result.busy:
                # Another process is stamping; it may or may not see our rows. Look again.
                tries += 1
                if tries >= self.busy_tries:
                    return
                await asyncio.sleep(self.busy_pause)
                continue
            if result.count:
                self.stamped_total += result.count
                self.on_stamped(result.high)
            if result.count < self.batch:
                return

"""Retention: the outbox keeps events for a configurable time, then a sweeper deletes them.

It deletes a prefix in seq order (oldest first, stopping at the first event young enough
to keep), so "the oldest seq still kept" tells exactly which cursors can still resume: a
cursor below it gets RESYNC_REQUIRED. The newest stamped event is always kept, so `seq`
never restarts from 1 after a quiet spell, and so is every event an active webhook has not
delivered yet (R-LIVE-6: nothing is lost while its receiver is down; deactivate a webhook
whose receiver is gone for good, or it holds retention back).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from graph.db import Database
from graph.models import EventTopic, OutboxEvent, Webhook, utcnow

log = logging.getLogger("relate.live.retention")


async def sweep(db: Database, cutoff: datetime, batch: int = 2000) -> int:
    """Delete stamped events created before `cutoff`, oldest first; returns how many."""
    deleted = 0
    while True:
        async with db.unit_of_work() as session:
            newest = await session.scalar(select(func.max(OutboxEvent.seq)))
            if newest is None:
                return deleted
            # An active webhook whose receiver is down still needs what follows its cursor.
            held = await session.scalar(select(func.min(Webhook.cursor)).where(Webhook.active.is_(True)))
            keep_from = newest if held is None else min(newest, int(held) + 1)
            rows = (await session.execute(
                select(OutboxEvent.id, OutboxEvent.created_on)
                .where(OutboxEvent.seq.is_not(None), OutboxEvent.seq < keep_from)
                .order_by(OutboxEvent.seq)
                .limit(batch)
            )).all()
            doomed = []
            for row in rows:
                if row.created_on >= cutoff:
                    break
                doomed.append(row.id)
            if doomed:
                await session.execute(delete(EventTopic).where(EventTopic.event_id.in_(doomed)))
                await session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(doomed)))
        deleted += len(doomed)
        if len(doomed) < batch:
            return deleted


class Sweeper:
    def __init__(self, db: Database, *, retention: timedelta, every_seconds: float) -> None:
        self.db = db
        self.retention = retention
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="relate-outbox-sweeper")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                count = await sweep(self.db, utcnow() - self.retention)
                if count:
                    log.info("deleted %d outbox events older than %s", count, self.retention)
            except Exception:
                log.exception("outbox sweep failed; will try again")
            await asyncio.sleep(self.every_seconds)

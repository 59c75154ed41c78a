"""The purge job (R-QRY-4): every hour, items deleted more than RELATE_RECYCLE_BIN_DAYS ago
go for good (graph/commands/purge.py), in batches, each its own short transaction.

Started and stopped by the app's lifespan, as the outbox sweeper is. Time comes from
`clock`: tests run `run_once` with their own instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from graph.commands.purge import purge_before
from graph.db import Database
from graph.files import FileStore
from graph.models import utcnow

log = logging.getLogger("relate.recycle_bin")

EVERY_SECONDS = 3600.0
BATCH = 200


class PurgeJob:
    def __init__(self, db: Database, store: FileStore, *, keep_days: float,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.store = store
        self.keep = timedelta(days=keep_days)
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> int:
        """Purge everything older than the kept period; returns how many items went."""
        total = 0
        while True:
            now = self.clock()
            async with self.db.unit_of_work() as session:
                purged = await purge_before(session, self.store, now - self.keep, now, BATCH)
            total += purged
            if purged < BATCH:
                return total

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="relate-recycle-bin-purge")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            # The first pass waits too: a starting server has better things to do, and
            # nothing deleted can be older than the period for long.
            await asyncio.sleep(EVERY_SECONDS)
            try:
                count = await self.run_once()
                if count:
                    log.info("purged %d items deleted more than %s ago", count, self.keep)
            except Exception:
                log.exception("recycle bin purge failed; will try again")

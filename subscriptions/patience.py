"""A live stream's database work waits out a busy database instead of failing.

Under load (issue 22: 1,000 subscribers at 20 writes/s) the streams' reads — the batched
token re-check, each visibility class's look-up, outbox pages of a subscriber catching
up — met an exhausted connection pool (SQLAlchemy's QueuePool timeout) or, on SQLite, a
write queue that did not come round in time (`WritesBusy`), and the stream ended with
INTERNAL. A busy database is not a broken stream. So:

- at most `slots` of those reads run at once per process (`LiveReads`): the rest wait
  their turn here, in arrival order and without a timeout, instead of in the pool, where
  they would time out and take the connections that requests need;
- a read that still meets a busy database is tried again after a growing, jittered
  pause, for up to `patience` seconds in all;
- past that the stream ends with UNAVAILABLE and `extensions.cursor`, the cursor of the
  last event written to the socket: the client resubscribes with `after` set to it and
  loses nothing (like SLOW_CONSUMER). Never INTERNAL.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from graphql import GraphQLError

from graph.db import Database, is_busy
from graph.rules.errors import ErrorCode
from subscriptions import delivery
from subscriptions.log import encode_cursor

T = TypeVar("T")
log = logging.getLogger("relate.live.patience")

# Longer than the pool's own wait for a connection (30 s) would be pointless: a database
# busy for a minute is down, and the client is better told so with its cursor.
LIVE_PATIENCE_SECONDS = 30.0
class DatabaseUnavailable(GraphQLError):
    """The stream could not read the database for `patience` seconds: resume from `cursor`."""

    def __init__(self, last: int | None, retry_after: int) -> None:
        super().__init__(
            "the database is too busy to go on with this subscription; resubscribe with `after` "
            "set to extensions.cursor",
            extensions={"code": ErrorCode.UNAVAILABLE.value,
                        "cursor": encode_cursor(last) if last is not None else None,
                        "retryAfter": retry_after},
        )


def read_slots(db: Database) -> int:
    """Half the reader pool's steady connections (at least 2): a stream's read may open a
    few sessions at once (one per kind of row), and requests need the rest."""
    size = getattr(db.reader.pool, "size", None)
    return max(2, size() // 2) if callable(size) else 2


class LiveReads:
    """Turns and retries for the live streams' database reads (one per process)."""

    def __init__(self, slots: int, patience: float, first_pause: float = 0.05, longest_pause: float = 2.0) -> None:
        self.slots = slots
        self.patience = patience
        self.first_pause = first_pause
        self.longest_pause = longest_pause
        self.retries = 0  # reads tried again after meeting a busy database (stats, tests)
        self.gave_up = 0  # streams ended with UNAVAILABLE
        self._turns = asyncio.Semaphore(slots)

    def unavailable(self) -> DatabaseUnavailable:
        """The typed end for the current stream (its own cursor: an error shared by several
        streams, from one batched read, is raised again with each one's)."""
        return DatabaseUnavailable(delivery.current().written, max(1, round(self.longest_pause)))

    async def run(self, read: Callable[[], Awaitable[T]], *, turn: bool = True) -> T:
        """`read()` in turn, tried again while the database is busy. Turns are never nested
        (a read must not wait for another read's turn while holding one); `turn=False` for
        a read that only joins a batch another task runs (the token re-check)."""
        started = time.monotonic()
        pause = self.first_pause
        while True:
            try:
                if not turn:
                    return await read()
                async with self._turns:
                    return await read()
            except DatabaseUnavailable:
                raise self.unavailable() from None
            except Exception as error:
                if not is_busy(error):
                    raise
                waited = time.monotonic() - started
                if waited + pause > self.patience:
                    self.gave_up += 1
                    log.warning("live stream gives up after %.1f s of a busy database: %s", waited, error)
                    raise self.unavailable() from error
                self.retries += 1
            await asyncio.sleep(pause * (0.5 + random.random()))  # noqa: S311 - jitter, not secrets
            pause = min(self.longest_pause, pause * 2)

"""In-process fan-out: new outbox rows, by topic, to the local subscribers' queues.

One task per process reads the events after its position from the outbox (in pages) when
a hint arrives, when the broker reconnects, or on a poll, and offers each to the
subscribers of its topics. Offering never waits. A subscriber's queue holds references to
events the dispatcher already has, so it is cheap, but it is bounded all the same: one
that fills up is marked behind, its queue is dropped, and its stream reads what it missed
from the outbox at its own pace (streams.py). Falling behind here is never the client's
fault and never ends a stream: whether a client is too slow is decided by its socket, by
what it has not read (subscriptions/websocket.py). Nothing here ever awaits a socket.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from graph.db import Database
from subscriptions import log as outbox
from subscriptions.log import LogEvent
from subscriptions.waiting import woken

logger = logging.getLogger("relate.live.dispatcher")


class FellBehind(Exception):
    """The subscriber's queue filled up: it must catch up from the outbox."""


class Closed(Exception):
    """The server is shutting down."""


class Subscriber:
    """A bounded queue of events for one subscription to one topic."""

    __slots__ = ("topic", "capacity", "behind", "closed", "_items", "_ready")

    def __init__(self, topic: str, capacity: int) -> None:
        self.topic = topic
        self.capacity = capacity
        self.behind = False
        self.closed = False
        self._items: deque[LogEvent] = deque()
        self._ready = asyncio.Event()

    def offer(self, event: LogEvent) -> bool:
        """Queue `event`; True when this one made the subscriber fall behind."""
        if self.behind or self.closed:
            return False
        fell_behind = len(self._items) >= self.capacity
        if fell_behind:
            self.behind = True
            self._items.clear()
        else:
            self._items.append(event)
        self._ready.set()
        return fell_behind

    def restart(self) -> None:
        """Forget queued events and being behind: the caller is about to reread the outbox."""
        self.behind = False
        self._items.clear()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def take(self) -> list[LogEvent]:
        """Everything queued, waiting for at least one event."""
        while True:
            if self.closed:
                raise Closed()
            if self.behind:
                raise FellBehind()
            if self._items:
                taken = list(self._items)
                self._items.clear()
                return taken
            self._ready.clear()
            await self._ready.wait()


class Dispatcher:
    def __init__(self, db: Database, *, poll_seconds: float, page_size: int, queue_size: int) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.page_size = page_size
        self.queue_size = queue_size
        self.position = 0
        self.dispatched = 0
        self.fell_behind = 0  # subscribers whose queue filled up (each then read the outbox)
        self._router: dict[str, set[Subscriber]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._router.values())

    def subscribe(self, topic: str) -> Subscriber:
        if self._closed:
            raise Closed()
        subscriber = Subscriber(topic, self.queue_size)
        self._router.setdefault(topic, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscribers = self._router.get(subscriber.topic)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._router[subscriber.topic]

    def wake(self, _up_to: int | None = None) -> None:
        """A hint, a reconnection or a local commit: read the outbox soon."""
        self._wake.set()

    async def start(self) -> None:
        self.position = await outbox.head(self.db)
        self._task = asyncio.create_task(self._run(), name="relate-dispatcher")

    async def stop(self) -> None:
        self._closed = True
        for subscribers in list(self._router.values()):
            for subscriber in list(subscribers):
                subscriber.close()
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            await woken(self._wake, self.poll_seconds)
            self._wake.clear()
            try:
                await self.catch_up()
                failures = 0
            except Exception:
                failures += 1
                logger.exception("dispatcher could not read the outbox (%d in a row)", failures)
                self._wake.set()  # what it could not read is still there: try again after the pause
                await asyncio.sleep(min(10.0, 0.1 * 2 ** min(failures, 7)))

    async def catch_up(self) -> None:
        while True:
            if not self._router:
                # Nobody listens here: skip ahead. Checked after the await, so a subscriber
                # that registered meanwhile makes us read the pages instead.
                high = await outbox.head(self.db)
                if not self._router:
                    self.position = max(self.position, high)
                    return
            events = await outbox.page_after(self.db, self.position, self.page_size)
            for event in events:
                self._fan_out(event)
                self.position = event.seq
            if len(events) < self.page_size:
                return

    def _fan_out(self, event: LogEvent) -> None:
        for topic in event.topics:
            for subscriber in self._router.get(topic, ()):
                self.fell_behind += subscriber.offer(event)
                self.dispatched += 1

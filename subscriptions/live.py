"""Live updates for one process: relay, doorbell, dispatcher and sweeper, started together.

The composition root (server/app.py) starts one `LiveUpdates` in its lifespan, adds
`after_commit` to the hooks every mutation runs after its commit, and gives it the
function that re-authenticates a websocket context for each event pushed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from graph.db import Database, is_busy
from graph.queries.principals import Viewer
from server.settings import Settings
from subscriptions.broker import Doorbell, open_broker
from subscriptions.dispatcher import Dispatcher
from subscriptions.log import LogEvent
from subscriptions.relay import Relay
from subscriptions.patience import LIVE_PATIENCE_SECONDS, LiveReads, read_slots
from subscriptions.page_projection import Plans
from subscriptions.render_once import EncodedOnce, SingleFlight
from subscriptions.retention import Sweeper
from subscriptions.streams import topic_batches
from subscriptions.waiting import within

log = logging.getLogger("relate.live")

Reauthenticate = Callable[[Any], Awaitable[Viewer | None]]


class LiveUpdates:
    def __init__(self, db: Database, settings: Settings, reauthenticate: Reauthenticate) -> None:
        self.db = db
        self.settings = settings
        self.reauthenticate = reauthenticate
        self.dispatcher = Dispatcher(db, poll_seconds=settings.live_poll_seconds,
                                     page_size=settings.live_page_size,
                                     queue_size=settings.live_queue_size)
        broker = open_broker(settings.broadcast_url, settings.broadcast_channel,
                             health_seconds=settings.live_broker_health_seconds)
        self._listeners: list[Callable[[int | None], None]] = []
        self.doorbell = Doorbell(broker, self._new_events, self._new_events,
                                 backoff_cap=settings.live_broker_backoff_max_seconds)
        self.relay = Relay(db, self._stamped, poll_seconds=settings.live_poll_seconds)
        self.sweeper = Sweeper(db, retention=timedelta(hours=settings.live_retention_hours),
                               every_seconds=settings.live_sweep_seconds)
        self.slow_consumers = 0  # websockets cut off for not reading (subscriptions/websocket.py)
        # What each batch shows to a visibility class, and each event rendered for a class
        # and document: computed once however many sockets follow the topic (render_once.py).
        self.views: SingleFlight[Any] = SingleFlight(1024)
        self.renders: SingleFlight[Any] = SingleFlight(4096)
        self.encoded = EncodedOnce(1024)
        # How a page of events is rendered in one pass, per subscription document (page_projection.py).
        self.plans = Plans()
        self.pages_sent = 0  # batches a websocket sent as one rendered page (websocket.py)
        # The streams' reads take turns below the pool's size and wait out a busy database
        # (patience.py): a loaded database delays events, it does not end streams.
        self.reads = LiveReads(slots=read_slots(db), patience=LIVE_PATIENCE_SECONDS)

    def on_new_events(self, listener: Callable[[int | None], None]) -> None:
        """Wake `listener` too (e.g. the webhook worker) whenever the dispatcher is woken."""
        self._listeners.append(listener)

    def _new_events(self, high: int | None = None) -> None:
        self.dispatcher.wake(high)
        for listener in self._listeners:
            listener(high)

    def _stamped(self, high: int) -> None:
        self._new_events(high)  # our own subscribers need no round trip through the broker
        self.doorbell.ring(high)

    async def after_commit(self) -> None:
        self.relay.kick()

    async def settle(self, timeout: float = 2.0) -> None:
        """Stamp what has committed so far, so a cursor read next comes after all of it."""
        try:
            await within(self.relay.settle(), timeout)
        except Exception as error:
            # Busy or slow: the cursor read next may then come before a few committed rows,
            # which reach the client once more as events (idempotent, docs/live-updates.md).
            if not is_busy(error):
                raise

    async def start(self) -> None:
        await self.dispatcher.start()
        self.doorbell.start()
        self.relay.start()
        self.sweeper.start()
        log.info("live updates started (broker %s)", self.doorbell.broker.description)

    async def stop(self) -> None:
        await self.sweeper.stop()
        await self.relay.stop()
        await self.doorbell.stop()
        await self.dispatcher.stop()

    def batches(self, topic: str, after: int | None) -> AsyncGenerator[list[LogEvent], None]:
        """A subscription's events, replay then live, in batches (see streams.py)."""
        return topic_batches(self.db, self.dispatcher, topic, after, self.settings.live_page_size, self.reads)

    async def events(self, topic: str, after: int | None) -> AsyncGenerator[LogEvent, None]:
        """The same, one event at a time."""
        batches = self.batches(topic, after)
        try:
            async for batch in batches:
                for event in batch:
                    yield event
        finally:
            await batches.aclose()

    def stats(self) -> dict[str, Any]:
        return {
            "position": self.dispatcher.position, "subscribers": self.dispatcher.subscriber_count,
            "dispatched": self.dispatcher.dispatched, "fellBehind": self.dispatcher.fell_behind,
            "slowConsumers": self.slow_consumers, "stamped": self.relay.stamped_total,
            "brokerConnected": self.doorbell.connected, "brokerConnects": self.doorbell.connects,
            "brokerFailures": self.doorbell.failures, "hints": self.doorbell.hints,
            "viewsLoaded": self.views.computed, "viewsShared": self.views.shared,
            "rendered": self.renders.computed, "renderedShared": self.renders.shared,
            "encoded": self.encoded.encoded, "encodedShared": self.encoded.shared,
            "pagesSent": self.pages_sent,
            "pagesProjected": self.plans.projected, "pagesExecuted": self.plans.fell_back,
            "busyRetries": self.reads.retries, "busyEnded": self.reads.gave_up,
        }

"""Live updates for one process: relay, doorbell, dispatcher and sweeper, started together.

The composition root (server/app.py) starts one `LiveUpdates` in its lifespan, adds
`after_commit` to the hooks every mutation runs after its commit, and gives it the
function that re-authenticates a websocket context for each event pushed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from graph.db import Database
from graph.queries.principals import Viewer
from server.settings import Settings
from subscriptions.broker import Doorbell, open_broker
from subscriptions.dispatcher import Dispatcher
from subscriptions.log import LogEvent
from subscriptions.relay import Relay
from subscriptions.retention import Sweeper
from subscriptions.streams import topic_events

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
        self.doorbell = Doorbell(broker, self.dispatcher.wake, self.dispatcher.wake,
                                 backoff_cap=settings.live_broker_backoff_max_seconds)
        self.relay = Relay(db, self._stamped, poll_seconds=settings.live_poll_seconds)
        self.sweeper = Sweeper(db, retention=timedelta(hours=settings.live_retention_hours),
                               every_seconds=settings.live_sweep_seconds)

    def _stamped(self, high: int) -> None:
        self.dispatcher.wake(high)  # our own subscribers need no round trip through the broker
        self.doorbell.ring(high)

    async def after_commit(self) -> None:
        self.relay.kick()

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

    def events(self, topic: str, after: int | None) -> AsyncIterator[LogEvent]:
        return topic_events(self.db, self.dispatcher, topic, after, self.settings.live_page_size)

    def stats(self) -> dict[str, Any]:
        return {
            "position": self.dispatcher.position, "subscribers": self.dispatcher.subscriber_count,
            "dispatched": self.dispatcher.dispatched, "stamped": self.relay.stamped_total,
            "brokerConnected": self.doorbell.connected, "brokerConnects": self.doorbell.connects,
            "brokerFailures": self.doorbell.failures, "hints": self.doorbell.hints,
        }

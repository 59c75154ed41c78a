"""The broker is a doorbell: it carries "the outbox has events up to seq N", never events.

Losing a hint delays delivery until the next hint or poll; it never loses an event,
because every process reads the events themselves from the outbox (DESIGN §5). So the
broker may drop messages, restart, or be down for minutes; what matters is noticing and
catching up, which `Doorbell` does: it supervises the listener, reconnects with capped
exponential backoff and, on every (re)connection, tells the dispatcher to catch up.

Backends, by `RELATE_BROADCAST_URL`:
- `memory://` (default): one process; broadcaster's in-memory backend.
- `redis://`, `rediss://`: Redis pub/sub over redis.asyncio, with a ping when idle so a
  silently dead connection is noticed. (broadcaster 0.3.1's Redis backend cannot tell
  its caller that the connection dropped, and has no reconnect.)
- `postgres://`, `postgresql://`: LISTEN/NOTIFY over a dedicated asyncpg connection,
  watched by a termination listener and a periodic `SELECT 1`.
- any other scheme broadcaster knows (e.g. `redis-stream://`): handed to broadcaster;
  outages there are only covered by the poll.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from broadcaster import Broadcast
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from subscriptions.waiting import within, woken

log = logging.getLogger("relate.live.broker")

Hint = Callable[[int | None], None]
# Shown in pg_stat_activity, so operators can see (and tests can cut) the LISTEN connections.
LISTENER_NAME = "relate-live-listener"


class BrokerDown(Exception):
    """The listening connection is gone; the supervisor reconnects."""


def parse_hint(raw: Any) -> int | None:
    if isinstance(raw, bytes):
        raw = raw.decode(errors="replace")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


class Broker(ABC):
    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel

    @abstractmethod
    async def publish(self, seq: int) -> None:
        """Ring once; may raise (the caller logs and moves on)."""

    @abstractmethod
    async def listen(self, on_hint: Hint, on_ready: Callable[[], None]) -> None:
        """Connect, subscribe, call `on_ready`, deliver hints; raise when the connection is lost."""

    async def close(self) -> None:  # noqa: B027 - optional
        pass

    @property
    def description(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}"


class BroadcasterBroker(Broker):
    """memory:// and any other backend broadcaster supports."""

    def __init__(self, url: str, channel: str) -> None:
        super().__init__(url, channel)
        self._broadcast = Broadcast(url)
        self._connected = False

    async def _connect(self) -> None:
        if not self._connected:
            await self._broadcast.connect()
            self._connected = True

    async def publish(self, seq: int) -> None:
        await self._connect()
        await self._broadcast.publish(self.channel, str(seq))

    async def listen(self, on_hint: Hint, on_ready: Callable[[], None]) -> None:
        await self._connect()
        async with self._broadcast.subscribe(self.channel) as subscriber:
            on_ready()
            async for event in subscriber:  # type: ignore[union-attr]
                if event is not None:
                    on_hint(parse_hint(event.message))
        raise BrokerDown("broadcaster subscription ended")

    async def close(self) -> None:
        if self._connected:
            self._connected = False
            with suppress(Exception):
                await self._broadcast.disconnect()


class RedisBroker(Broker):
    def __init__(self, url: str, channel: str, health_seconds: float) -> None:
        super().__init__(url, channel)
        self.health_seconds = health_seconds
        self._publisher = self._client()

    def _client(self) -> aioredis.Redis:
        # No hidden retries: a failure surfaces at once and the supervisor decides.
        return aioredis.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 0),
        )

    async def publish(self, seq: int) -> None:
        await self._publisher.publish(self.channel, str(seq))

    async def listen(self, on_hint: Hint, on_ready: Callable[[], None]) -> None:
        client = self._client()
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        loop = asyncio.get_running_loop()
        try:
            await pubsub.subscribe(self.channel)
            on_ready()
            heard = loop.time()
            pinged: float | None = None
            while True:
                message = await pubsub.get_message(timeout=min(1.0, self.health_seconds))
                now = loop.time()
                if message is not None:
                    heard, pinged = now, None
                    if message.get("type") == "message":
                        on_hint(parse_hint(message.get("data")))
                    continue
                if now - heard < self.health_seconds:
                    continue
                if pinged is None:
                    await pubsub.ping()
                    pinged = now
                elif now - pinged > self.health_seconds:
                    raise BrokerDown("no answer to PING")
        finally:
            with suppress(Exception):
                await pubsub.aclose()
            with suppress(Exception):
                await client.aclose()

    async def close(self) -> None:
        with suppress(Exception):
            await self._publisher.aclose()


class PostgresBroker(Broker):
    def __init__(self, url: str, channel: str, health_seconds: float) -> None:
        super().__init__(url, channel)
        self.dsn = "postgresql://" + url.split("://", 1)[1]
        self.health_seconds = health_seconds
        self._publisher: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def publish(self, seq: int) -> None:
        async with self._lock:
            try:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await asyncpg.connect(self.dsn, timeout=5)
                await self._publisher.execute("SELECT pg_notify($1, $2)", self.channel, str(seq))
            except BaseException:
                publisher, self._publisher = self._publisher, None
                if publisher is not None:
                    publisher.terminate()
                raise

    async def listen(self, on_hint: Hint, on_ready: Callable[[], None]) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            self.dsn, timeout=5, server_settings={"application_name": LISTENER_NAME})
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(self.channel, lambda _c, _pid, _ch, payload: on_hint(parse_hint(payload)))
            on_ready()
            while True:
                await woken(lost, self.health_seconds)
                if lost.is_set() or conn.is_closed():
                    raise BrokerDown("LISTEN connection terminated")
                await within(conn.fetchval("SELECT 1"), self.health_seconds)
        finally:
            conn.terminate()

    async def close(self) -> None:
        if self._publisher is not None:
            self._publisher.terminate()
            self._publisher = None


def open_broker(url: str, channel: str, *, health_seconds: float = 15.0) -> Broker:
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if scheme in ("redis", "rediss"):
        return RedisBroker(url, channel, health_seconds)
    if scheme in ("postgres", "postgresql"):
        return PostgresBroker(url, channel, health_seconds)
    return BroadcasterBroker(url, channel)


def backoff(attempt: int, cap: float, base: float = 0.1) -> float:
    """Capped exponential backoff with jitter (half to full of the step)."""
    step = min(cap, base * 2 ** min(attempt, 20))
    return step * (0.5 + random.random() / 2)


class Doorbell:
    """Rings (publishes the latest high seq, coalesced) and listens, both supervised."""

    def __init__(self, broker: Broker, on_hint: Hint, on_connected: Callable[[], None], *,
                 backoff_cap: float) -> None:
        self.broker = broker
        self.on_hint = on_hint
        self.on_connected = on_connected
        self.backoff_cap = backoff_cap
        self.connected = False
        self.connects = 0
        self.failures = 0
        self.hints = 0
        self._latest: int | None = None
        self._ring = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name="relate-broker-listen"),
                       asyncio.create_task(self._publish(), name="relate-broker-publish")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.broker.close()

    def ring(self, seq: int) -> None:
        """Never blocks: a slow or absent broker must not hold up the relay."""
        self._latest = seq if self._latest is None else max(self._latest, seq)
        self._ring.set()

    def _hint(self, seq: int | None) -> None:
        self.hints += 1
        self.on_hint(seq)

    def _ready(self) -> None:
        self.connected = True
        self.connects += 1
        if self.connects > 1:
            log.warning("broker %s reconnected; catching up from the outbox", self.broker.description)
        self.on_connected()  # hints sent while we were away are lost: read the outbox

    async def _listen(self) -> None:
        attempt = 0
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.broker.listen(self._hint, self._ready)
                raise BrokerDown("listener returned")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                was_up = self.connected
                self.connected = False
                if was_up and loop.time() - started > 1.0:  # it worked for a while: start over
                    attempt = 0
                delay = backoff(attempt, self.backoff_cap)
                attempt += 1
                # Loud on the first failure of an outage, then every tenth attempt.
                level = logging.WARNING if attempt == 1 or attempt % 10 == 0 else logging.DEBUG
                log.log(level, "broker %s listener failed (%s: %s); attempt %d, retrying in %.2fs",
                        self.broker.description, type(exc).__name__, exc, attempt, delay)
                await asyncio.sleep(delay)

    async def _publish(self) -> None:
        attempt = 0
        while True:
            await self._ring.wait()
            self._ring.clear()
            seq = self._latest
            if seq is None:
                continue
            try:
                await within(self.broker.publish(seq), 5)
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The hint is lost; subscribers elsewhere catch up on their poll or reconnect.
                delay = backoff(attempt, self.backoff_cap)
                attempt += 1
                level = logging.WARNING if attempt == 1 or attempt % 10 == 0 else logging.DEBUG
                log.log(level, "broker %s publish failed (%s: %s); attempt %d", self.broker.description,
                        type(exc).__name__, exc, attempt)
                await asyncio.sleep(delay)

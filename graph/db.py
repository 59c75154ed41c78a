"""Engines and sessions.

Two engines on one database: `reader` for short read sessions (one per loader batch or
root field: Strawberry resolves siblings concurrently, so sessions are never shared) and
`writer` for units of work. On SQLite the writer starts with BEGIN IMMEDIATE: a deferred
transaction that later upgrades to a write fails at once with SQLITE_BUSY and ignores
the busy timeout.

Dead PostgreSQL connections (a database restart, an idle timeout, a dropped socket) are
found before use by a ping — but only for a connection that sat idle in the pool for
`IDLE_PING_SECONDS` or more. SQLAlchemy's `pool_pre_ping` pings at every checkout, and
with asyncpg a ping is three round trips (BEGIN, an empty statement, ROLLBACK): with a
page taking three sessions that was nearly half of its round trips. A connection back in use
within a second was alive a moment ago; one that fails all the same (the database went
down under a request) fails that request, as it would have with a pre-ping,
and SQLAlchemy then replaces every connection of the pool opened before the failure.

SQLite allows one writer at a time. Left to themselves, concurrent writers of one process
all wait inside BEGIN IMMEDIATE, where SQLite's busy handler retries each on its own
growing sleep: whoever happens to retry first wins, so a write can lose again and again
(p99 above 4 s under 20 writers, some past the 10 s busy timeout). Writers of one process
therefore queue on one asyncio lock per database, in arrival order, before BEGIN
IMMEDIATE; the busy timeout then only arbitrates between processes. A write that cannot
get its turn within `write_wait_seconds` raises `WritesBusy` (answered as UNAVAILABLE with
Retry-After), never "database is locked". Taking turns, the writers share one pooled
connection (more are opened only without the queue): opening one per write (a thread,
the file, the pragmas) was a fifth of a create's CPU.

A write transaction, once begun, always ends with a COMMIT or ROLLBACK and the
connection's close, even when its task is cancelled (a server stopping cancels its
workers): a connection cancelled between BEGIN IMMEDIATE and its end was left to the
garbage collector and kept SQLite's write lock meanwhile, so the next writer failed with
"database is locked" after the busy timeout.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
)


DEFAULT_WRITE_WAIT_SECONDS = 5.0

T = TypeVar("T")


class WritesBusy(Exception):
    """No turn to write within the bound: the database is overloaded, not broken.

    `extensions` travel to the client (GraphQL reads them from the original error)."""

    def __init__(self, waited: float) -> None:
        self.retry_after = max(1, math.ceil(waited))
        super().__init__(f"the database is busy with other writes; retry in {self.retry_after} s")
        self.extensions = {"code": "UNAVAILABLE", "retryAfter": self.retry_after}


BUSY_WORDS = ("database is locked", "database is busy", "too many clients", "remaining connection slots")


def is_busy(error: BaseException) -> bool:
    """The database is overloaded or briefly unreachable, not refusing this statement."""
    if isinstance(error, (PoolTimeout, WritesBusy)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        return any(word in str(error).lower() for word in BUSY_WORDS)
    return isinstance(error, (ConnectionError, TimeoutError))


async def _to_the_end(step: Awaitable[T]) -> T:
    """Run one step of a transaction's life (begin, commit, rollback, close) to its end even
    if the caller is cancelled meanwhile; the cancellation is raised once the step is done."""
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:  # cancelled again: let the step finish on its own
            pass
        except Exception:  # noqa: S110 - the cancellation is what the caller must see
            pass
        raise


def _drop_dead_statements(cancelled: BaseException) -> None:
    """Let go of the statement a write was cancelled in the middle of.

    SQLAlchemy drops a connection whose statement was cancelled and closes it, but SQLite
    cannot close a connection while one of its statements is unfinished: the connection
    lingers, inside its transaction and holding the database's write lock, until that
    statement is freed. The only references left to it are the locals of the finished frames
    in the cancellation's traceback (which the cancelled task keeps), so those are cleared;
    frames still running are left as they are."""
    traceback.clear_frames(cancelled.__traceback__)


def async_url(url: str) -> str:
    """Accept the plain URLs people type and pick the async driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


IDLE_PING_SECONDS = 1.0
_IDLE_SINCE = "relate_idle_since"


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection at checkout only when it was idle `IDLE_PING_SECONDS`.

    A failed ping raises DisconnectionError: the pool drops that connection and checks out
    (or opens) another, so the caller never sees it (SQLAlchemy's custom pessimistic ping).
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)  # None: opened just now (info is new per connection)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("connection found dead at checkout") from exc


def json_loads(text: str | bytes) -> Any:
    """JSON columns read through orjson: the standard library's decoder was the largest
    single cost of reading rows with JSON columns (outbox payloads, an activity's parties
    and categories: a seventh of a live replay's CPU). Text orjson refuses (NaN, integers
    beyond 64 bits, which the standard encoder can write) is read as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _sqlite_engine(url: str, begin: str, **kw: Any) -> AsyncEngine:
    engine = create_async_engine(url, json_deserializer=json_loads, **kw)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us, not the driver, say BEGIN, so writes can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


@dataclass
class Database:
    url: str
    reader: AsyncEngine
    writer: AsyncEngine
    # SQLite only: longest a write waits for its turn in this process (0 = no queue at all,
    # every writer goes straight to BEGIN IMMEDIATE as before; for comparisons).
    write_wait_seconds: float = DEFAULT_WRITE_WAIT_SECONDS
    # PostgreSQL: the schema every connection uses (search_path), for connections opened
    # outside the engines (graph/raw_reads.py).
    schema: str | None = None
    _write_turn: asyncio.Lock | None = field(default=None, init=False, repr=False)
    # What else holds connections to this database (graph/raw_reads.py): closed by `dispose`.
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list, init=False, repr=False)
    # Told the SQL of every statement run outside the engines (graph/raw_reads.py), so
    # counts of statements per request see those too.
    statement_listeners: list[Callable[[str], None]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False, autoflush=False)
        self._write_sessions = async_sessionmaker(self.writer, expire_on_commit=False, autoflush=False)
        if self.is_sqlite and self.write_wait_seconds > 0:
            self._write_turn = asyncio.Lock()

    @classmethod
    def connect(cls, url: str, *, schema: str | None = None, pool_size: int = 10,
                write_wait_seconds: float = DEFAULT_WRITE_WAIT_SECONDS,
                pool: dict[str, Any] | None = None) -> Database:
        """`pool`: more arguments for the (reader) pool, e.g. a tiny one in tests."""
        url = async_url(url)
        if make_url(url).get_backend_name() == "sqlite":
            writer = _sqlite_engine(url, "BEGIN IMMEDIATE", pool_size=1, max_overflow=-1)
            reader = _sqlite_engine(url, "BEGIN", **(pool or {}))
            return cls(url, reader, writer, write_wait_seconds)
        connect_args: dict[str, Any] = {}
        if schema:
            connect_args["server_settings"] = {"search_path": schema}
        engine = create_async_engine(url, **{"pool_size": pool_size, "max_overflow": pool_size, **(pool or {})},
                                     connect_args=connect_args, json_deserializer=json_loads)
        _ping_after_idle(engine)
        return cls(url, engine, engine, schema=schema)

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        return (self.writer,) if self.reader is self.writer else (self.writer, self.reader)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A short read-only session; its transaction ends when the block does."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed if the block returns, rolled back if it raises."""
        async with self._turn_to_write():
            session = self._write_sessions()
            try:
                await _to_the_end(session.connection())  # checkout and BEGIN (IMMEDIATE)
                yield session
                await _to_the_end(session.commit())
            except BaseException as exc:
                await _to_the_end(session.rollback())
                if self.is_sqlite and isinstance(exc, asyncio.CancelledError):
                    _drop_dead_statements(exc)
                raise
            finally:
                await _to_the_end(session.close())

    @asynccontextmanager
    async def _turn_to_write(self) -> AsyncIterator[None]:
        """This process's writers one at a time, first come first served (SQLite only)."""
        turn = self._write_turn
        if turn is None:
            yield
            return
        try:
            async with asyncio.timeout(self.write_wait_seconds):
                await turn.acquire()
        except TimeoutError:
            raise WritesBusy(self.write_wait_seconds) from None
        try:
            yield
        finally:
            turn.release()

    def on_dispose(self, close: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(close)

    async def dispose(self) -> None:
        for close in self._closers:
            await close()
        self._closers.clear()
        for engine in self.engines:
            await engine.dispose()

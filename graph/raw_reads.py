"""Reads on the driver's own connection: no ORM session, no BEGIN/ROLLBACK (docs/compiled-reads.md).

The compiled read path (resolvers/compiled) builds its statements with the same SQLAlchemy
Core functions as every other read (graph/queries: the viewer's read predicate, filters,
keyset pages), then runs them here:

- **Compiled once.** A statement is compiled once per shape: SQLAlchemy's own cache key
  (the statement's structure without its bound values) finds the compiled form, and the
  values extracted with the key are bound to it, through the column types' bind
  processors, exactly as `Connection.execute` would. Rows go through the columns' result
  processors (UTC datetimes, uuids), so they hold the same values an ORM read gives.
- **PostgreSQL:** an asyncpg pool of its own, sized like the engine's, with no reset
  round trip on release (only single read statements ever run on it); asyncpg prepares
  each statement once per connection (its statement cache). JSON comes back through orjson.
- **SQLite:** one aiosqlite connection per process in autocommit mode: every read is a
  single statement, its own snapshot under WAL.

Why no transaction: each statement is one snapshot on its own (a single SELECT is atomic
under READ COMMITTED and under SQLite's WAL). The page's rows, the record check, the
related users and, on the timeline, its counts are read by the one page statement.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy.engine import make_url

from graph.db import SQLITE_PRAGMAS, Database

COMPILED_MAX = 2048


@dataclass(frozen=True, slots=True)
class _Compiled:
    compiled: Any
    expands: bool
    processors: tuple[Callable[[Any], Any] | None, ...]


class Prepared(NamedTuple):
    sql: str
    args: list[Any]
    binds: tuple[Callable[[Any], Any] | None, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


async def _keep(_connection: Any) -> None:
    """Nothing to reset between uses: only single read statements run on these connections."""


async def _json_codecs(connection: Any) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(name, schema="pg_catalog", format="text",
                                        encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads)


class RawReads:
    """Runs read statements on a raw driver connection; see the module docstring."""

    def __init__(self, db: Database, pool_size: int = 10) -> None:
        self.db = db
        self.dialect = db.reader.dialect
        self.pool_size = pool_size
        self.on_statement: list[Callable[[str], None]] = []
        self._compiled: OrderedDict[Any, _Compiled] = OrderedDict()
        self._pool: Any = None
        self._sqlite: Any = None
        self._opening = asyncio.Lock()
        db.on_dispose(self.close)

    @property
    def available(self) -> bool:
        """A file or server database; an in-memory SQLite database is private to its engine."""
        if not self.db.is_sqlite:
            return True
        name = make_url(self.db.url).database
        return bool(name) and name != ":memory:" and not name.startswith("file:")

    def prepare(self, statement: Any) -> Prepared:
        """The SQL text, the bound arguments in order (and each one's bind processor) and
        the result processors of `statement`."""
        key = statement._generate_cache_key()
        entry = self._compiled.get(key.key) if key is not None else None
        if entry is None:
            # With its cache key, as `Connection.execute` compiles: the values extracted
            # with a later key of the same shape then bind to this compiled form.
            compiled = self.dialect.statement_compiler(self.dialect, statement, cache_key=key)
            expands = bool(compiled.post_compile_params or compiled.literal_execute_params)
            processors = tuple(column.type._cached_result_processor(self.dialect, None)
                               for column in statement.selected_columns)
            entry = _Compiled(compiled, expands, processors)
            if key is not None:
                self._compiled[key.key] = entry
                if len(self._compiled) > COMPILED_MAX:
                    self._compiled.popitem(last=False)
        compiled = entry.compiled
        params = compiled.construct_params(extracted_parameters=key.bindparams if key is not None else None,
                                           escape_names=True, _no_postcompile=True)
        if entry.expands:
            expanded = compiled._process_parameters_for_postcompile(params)
            # The expanded state's processors are only those of the expanded (IN) values;
            # every other parameter keeps its own (uuids on SQLite, UTC datetimes).
            sql, names = expanded.statement, expanded.positiontup
            binds = {**compiled._bind_processors, **expanded.processors}
            params = expanded.parameters
        else:
            sql, names, binds = compiled.string, compiled.positiontup, compiled._bind_processors
        args = []
        bind_processors = []
        for name in names or ():
            value = params[name]
            bind = binds.get(name)
            bind_processors.append(bind)
            args.append(bind(value) if bind is not None and value is not None else value)
        return Prepared(sql, args, tuple(bind_processors), entry.processors)

    async def fetch(self, statements: Sequence[Any]) -> list[list[tuple[Any, ...]]]:
        """The rows of each statement, run one after the other on one connection."""
        return await self.fetch_prepared([self.prepare(s) for s in statements])

    async def fetch_prepared(self, prepared: Sequence[Prepared]) -> list[list[tuple[Any, ...]]]:
        for sql, _args, _binds, _processors in prepared:
            for observe in (*self.on_statement, *self.db.statement_listeners):
                observe(sql)
        if self.db.is_sqlite:
            connection = self._sqlite or await self._open_sqlite()
            found = [await connection.execute_fetchall(p.sql, p.args) for p in prepared]
        else:
            pool = self._pool or await self._open_pool()
            async with pool.acquire() as connection:
                found = [await connection.fetch(p.sql, *p.args) for p in prepared]
        return [_processed(rows, p.processors) for rows, p in zip(found, prepared, strict=True)]

    async def _open_pool(self) -> Any:
        import asyncpg

        async with self._opening:
            if self._pool is None:
                url = self.db.reader.url.set(drivername="postgresql").render_as_string(hide_password=False)
                settings = {"search_path": self.db.schema} if self.db.schema else {}
                self._pool = await asyncpg.create_pool(url, min_size=0, max_size=self.pool_size, reset=_keep,
                                                       init=_json_codecs, server_settings=settings)
            return self._pool

    async def _open_sqlite(self) -> Any:
        import aiosqlite

        async with self._opening:
            if self._sqlite is None:
                connection = await aiosqlite.connect(make_url(self.db.url).database, isolation_level=None)
                for pragma in SQLITE_PRAGMAS:
                    await connection.execute(pragma)
                self._sqlite = connection
            return self._sqlite

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()
        connection, self._sqlite = self._sqlite, None
        if connection is not None:
            await connection.close()


def _processed(rows: Sequence[Any], processors: tuple[Callable[[Any], Any] | None, ...]) -> list[tuple[Any, ...]]:
    pairs = [(i, p) for i, p in enumerate(processors) if p is not None]
    if not pairs:
        return [tuple(row) for row in rows]
    processed = []
    for row in rows:
        values = list(row)
        for i, process in pairs:
            values[i] = process(values[i])
        processed.append(tuple(values))
    return processed

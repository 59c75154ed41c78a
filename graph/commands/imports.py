"""Importing accounts and contacts from a CSV, XLSX or XML file (R-IMP-1): the use case the
`importRecords` mutation and `relate import` share.

Unlike other commands, an import manages its own transactions, because one transaction
for 100,000 rows would hold the database's write lock for the whole file. It runs:
1. refusals of the whole import, before anything is written: the importer may not create
   records of the type or give them to the owner; the file cannot be read to its end
   (it is read once through before any row is written); the column mapping is wrong;
2. then the rows in batches of `BATCH_SIZE`, each batch one unit of work: look-ups, the
   sorting of rows into created / duplicate / failed, the writes (`import_batches`).
   If writing a batch fails, none of it is kept (the transaction rolls back), its good
   rows are reported as BATCH_FAILED, and the import stops; earlier batches stay whole.
   Importing the same file again then skips what was created, as duplicates by email.
A dry run does all of it but the writes, in read-only sessions.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from graph.commands.common import owner_for, secured_type
from graph.commands import upsert
from graph.commands.import_batches import Batch, FileMemory, Prepared, sort_rows, update_rows, write_rows
from graph.db import Database
from graph.imports.collector import existing_objects_frozen
from graph.imports.mapping import ColumnMapping, map_columns
from graph.imports.result import MAX_CREATED_IDS, ImportResult, RowProblem
from graph.imports.rows import IdParser, RowChecker
from graph.imports.tables import FileProblem, RawRow, Table, detect_format, open_table
from graph.models import Principal, User
from graph.queries import custom_fields as custom_field_queries
from graph.queries.principals import build_scope
from graph.rules.access import Depth, Scope
from graph.rules.errors import DomainError, ErrorCode

log = logging.getLogger("relate.errors")

BATCH_SIZE = 2000
IMPORTABLE = ("ACCOUNT", "CONTACT")
Progress = Callable[[int, int], None]
AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class ImportRequest:
    record_type: str  # ACCOUNT or CONTACT
    source: BinaryIO  # seekable; read twice
    file_name: str | None = None
    format: str | None = None  # CSV, XLSX, XML; else from the file name, else sniffed
    mapping: Sequence[tuple[str, str | None]] | None = None  # (column, field or None to ignore)
    dry_run: bool = False
    owner_id: uuid.UUID | None = None
    parse_id: IdParser | None = None  # reads the API's global ids in account columns
    upsert_by: str | None = None  # EMAIL, NAME_AND_PARENT or EXTERNAL_ID: a match is updated (R-QRY-5)


async def import_records(
    db: Database, scope: Scope, request: ImportRequest, now: datetime, *,
    on_progress: Progress | None = None, after_commit: AfterCommit | None = None,
) -> ImportResult:
    """Import the file; DomainError when the whole import is refused (then nothing was written)."""
    record_type = request.record_type
    if record_type not in IMPORTABLE:
        raise DomainError(ErrorCode.VALIDATION, "only accounts and contacts can be imported", ("input", "recordType"))
    secured = secured_type(record_type)
    if scope.depth(secured, "create") == Depth.NONE:
        raise DomainError(ErrorCode.FORBIDDEN, f"you may not create {secured}s", ("input", "recordType"))
    if request.upsert_by is not None and record_type not in upsert.KEYS[request.upsert_by]:
        raise DomainError(ErrorCode.VALIDATION, f"a {secured} cannot be upserted by {request.upsert_by}",
                          ("input", "upsertBy"))
    async with db.read() as session:
        owner = await owner_for(session, scope, request.owner_id, secured, "create")
        custom = await custom_field_queries.definitions(session, record_type)
    table, total = await asyncio.to_thread(_read_through, request)
    try:
        mapping = map_columns(record_type, table.headers, request.mapping, custom)
        result = ImportResult(record_type, table.format, request.dry_run, mapping.columns, rows_in_file=total)
        writer = _Writer(db)
        run = _Run(db, writer, scope, request, owner, now, mapping, result, after_commit)
        checker = RowChecker(mapping)
        rows = table.rows()
        # The next batch is read and checked in a thread while this one is written: parsing
        # holds the GIL, SQLite releases it, so on two cores the two overlap.
        upcoming = asyncio.ensure_future(asyncio.to_thread(_next_batch, rows, checker))
        try:
            with existing_objects_frozen():
                while prepared := await upcoming:
                    upcoming = asyncio.ensure_future(asyncio.to_thread(_next_batch, rows, checker))
                    if not await run.batch(prepared):
                        break
                    if on_progress is not None:
                        on_progress(result.rows_read, total)
        finally:
            await asyncio.gather(upcoming, return_exceptions=True)  # never leave the reader running
            await writer.close()
    finally:
        table.close()
    return result


def _read_through(request: ImportRequest) -> tuple[Table, int]:
    """Open the file and read it to its end once: a broken file is refused before any write."""
    source = request.source
    source.seek(0)
    fmt = detect_format(request.file_name, source.read(512), request.format)
    try:
        table = open_table(source, fmt)
        try:
            return table, table.count()
        except BaseException:
            table.close()
            raise
    except FileProblem as problem:
        raise DomainError(ErrorCode.MALFORMED_FILE, f"{_named(request.file_name)}: {problem}", ("input", "file")) from None


def _named(file_name: str | None) -> str:
    return f"cannot import {file_name}" if file_name else "cannot import the file"


def _next_batch(rows: Iterator[RawRow], checker: RowChecker) -> list[Prepared]:
    return [checker.check(raw) for raw in islice(rows, BATCH_SIZE)]


class _Writer:
    """Units of work like `Database.unit_of_work`, one per batch, all on one connection.

    `unit_of_work` takes a new connection each time (on SQLite the writer has no pool), so
    every batch would start with a cold page cache and read the indexes it updates from
    the file again: at 100,000 records that doubled an import's time. On SQLite this
    connection also gets a larger page cache. Between batches no transaction is open, so
    other writers go on as usual.
    """

    SQLITE_CACHE_KIB = 64 * 1024

    def __init__(self, db: Database) -> None:
        self.db = db
        self.connection: AsyncConnection | None = None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        if self.connection is None:
            self.connection = await self.db.writer.connect()
            if self.db.is_sqlite:
                await self.connection.exec_driver_sql(f"PRAGMA cache_size = -{self.SQLITE_CACHE_KIB}")
                await self.connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 20000")
                await self.connection.commit()
        async with AsyncSession(bind=self.connection, expire_on_commit=False, autoflush=False) as session:
            async with session.begin():
                yield session

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


class _Run:
    """The state of one import between batches."""

    def __init__(self, db: Database, writer: _Writer, scope: Scope, request: ImportRequest, owner: Principal,
                 now: datetime, mapping: ColumnMapping, result: ImportResult, after_commit: AfterCommit | None) -> None:
        self.db, self.writer, self.scope, self.request, self.owner, self.now = db, writer, scope, request, owner, now
        self.mapping, self.result, self.after_commit = mapping, result, after_commit
        self.memory = FileMemory()

    async def batch(self, prepared: list[Prepared]) -> bool:
        """Sort and (unless dry) write one batch in its own transaction; False stops the import."""
        request, result = self.request, self.result
        result.rows_read += len(prepared)
        try:
            if request.dry_run:
                async with self.db.read() as session:
                    batch = await sort_rows(session, self.scope, request.record_type, prepared, self.memory,
                                            request.parse_id, dry_run=True, upsert_by=request.upsert_by)
            else:
                async with self.writer.unit_of_work() as session:
                    batch = await sort_rows(session, self.scope, request.record_type, prepared, self.memory,
                                            request.parse_id, dry_run=False, upsert_by=request.upsert_by)
                    if batch.accepted:
                        await write_rows(session, self.scope, request.record_type, batch.accepted, self.owner,
                                         self.now)
                    await update_rows(session, self.scope, request.record_type, batch.updates, self.now)
        except Exception as error:  # anything: the batch is rolled back whole and reported
            self._failed(prepared, error)
            return False
        self._sorted(batch)
        if not request.dry_run and (batch.accepted or batch.updates) and self.after_commit is not None:
            await self.after_commit()
        return True

    def _sorted(self, batch: Batch) -> None:
        result = self.result
        self.memory.merge(batch.memory)
        result.created += len(batch.accepted)
        result.updated += len(batch.updates)
        result.add_outcomes([(item.row, "CREATED", new_id) for item, new_id, _ in batch.accepted]
                            + [(item.row, "UPDATED", record_id) for item, record_id, _ in batch.updates],
                            dry_run=self.request.dry_run)
        result.duplicates += batch.duplicates
        result.failed += batch.failed
        result.add_problems(batch.problems)
        if not self.request.dry_run:
            room = MAX_CREATED_IDS - len(result.created_ids)
            result.created_ids.extend(new_id for _, new_id, _ in batch.accepted[:max(room, 0)])

    def _failed(self, prepared: list[Prepared], error: Exception) -> None:
        first, last = _row_number(prepared[0]), _row_number(prepared[-1])
        if isinstance(error, DomainError):
            why = str(error)
        else:
            error_id = uuid.uuid4().hex[:12]
            log.error("import of rows %d-%d failed: internal error %s", first, last, error_id, exc_info=error)
            why = f"internal error {error_id}"
        message = (f"not imported: writing rows {first}-{last} failed ({why}); nothing of those rows was "
                   f"saved and the import stopped there")
        result = self.result
        result.complete = False
        result.failed += len(prepared)
        for item in prepared:
            if isinstance(item, list):
                result.add_problems(item)
            else:
                result.add_problems([RowProblem(item.row, ErrorCode.BATCH_FAILED, message)])


def _row_number(item: Prepared) -> int:
    return item[0].row if isinstance(item, list) else item.row


async def import_records_as(
    db: Database, email: str, request: ImportRequest, now: datetime, *,
    on_progress: Progress | None = None,
) -> ImportResult:
    """`import_records` on behalf of the active user with this email (the CLI's way in)."""
    async with db.read() as session:
        user = await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower(),
                                                       User.is_active.is_(True)))
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"no active user with the email {email}", ("as",))
        scope = await build_scope(session, user)
    return await import_records(db, scope, request, now, on_progress=on_progress)

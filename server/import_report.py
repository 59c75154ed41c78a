"""`relate import`: the record import (graph/commands/imports.py) with a progress bar on
stderr and a report on stdout — the same function the `importRecords` mutation calls."""

from __future__ import annotations

import uuid
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from graph.commands.imports import ImportRequest, import_records_as
from graph.db import Database
from graph.imports.result import ImportResult
from graph.models import utcnow
from resolvers.ids import parse_global_id, to_global_id
from server.settings import get_settings

TYPE_NAMES = {"ACCOUNT": "Account", "CONTACT": "Contact"}
SHOWN_PROBLEMS = 100


async def import_with_progress(
    path: Path, record_type: str, email: str, *, mapping: list[tuple[str, str | None]] | None = None,
    dry_run: bool = False, fmt: str | None = None, owner_id: uuid.UUID | None = None,
) -> bool:
    """Import the file as the user with this email; print the report; True unless it stopped early.

    A refused import raises DomainError (the CLI prints it and exits 1)."""
    settings = get_settings()
    db = Database.connect(settings.database_url, schema=settings.database_schema)
    err = Console(stderr=True)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
                        TimeRemainingColumn(), console=err)
    try:
        with path.open("rb") as source, progress:
            task = progress.add_task(f"reading {path.name}", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, description="checking" if dry_run else "importing", completed=done,
                                total=total)

            request = ImportRequest(record_type, source, path.name, fmt, mapping, dry_run, owner_id,
                                    parse_global_id)
            result = await import_records_as(db, email, request, utcnow(), on_progress=advance)
    finally:
        await db.dispose()
    print_report(result, path.name)
    return result.complete


def print_report(result: ImportResult, file_name: str) -> None:
    out = Console()
    if not out.is_terminal:  # a pipe or a file: wide rows rather than wrapped ones
        out = Console(width=160)
    kind = result.record_type.lower() + "s"
    if result.dry_run:
        head = f"dry run of {file_name} ({result.format}): {result.created} {kind} would be created"
    else:
        head = f"imported {file_name} ({result.format}): {result.created} {kind} created"
    out.print(escape(f"{head}, {result.duplicates} duplicates, {result.failed} failed, "
                     f"{result.rows_read} of {result.rows_in_file} rows read"
                     + ("; nothing was written" if result.dry_run else "")))
    columns = Table("column", "field", title="columns", title_justify="left")
    for column, field in result.columns:
        columns.add_row(escape(column), escape(field) if field else "[dim](ignored)[/dim]")
    out.print(columns)
    if result.problems:
        problems = Table("row", "column", "code", "problem", title="rows not imported", title_justify="left")
        for p in result.problems[:SHOWN_PROBLEMS]:
            message = p.message
            if p.duplicate_of is not None:
                message += f" ({to_global_id(TYPE_NAMES[result.record_type], p.duplicate_of)})"
            problems.add_row(str(p.row), escape(p.column or ""), p.code.value, escape(message))
        out.print(problems)
        if result.problems_truncated or len(result.problems) > SHOWN_PROBLEMS:
            out.print(f"… only the first problems are shown; {result.failed + result.duplicates} rows were not "
                      "imported in all")
    if not result.complete:
        out.print(f"[red]the import stopped after row {result.rows_read}[/red]: import the file again to add the "
                  "rest (rows already imported are skipped as duplicates by email)")

"""What an import reports (R-IMP-1): counts, the column mapping used, problems by row."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph.imports.result import ImportResult as ResultRow
from graph.imports.result import RowProblem
from resolvers.ids import to_global_id
from schema.errors import ErrorCode

TYPE_NAMES = {"ACCOUNT": "Account", "CONTACT": "Contact"}


@strawberry.enum(description="The record types an import creates.")
class ImportRecordType(Enum):
    ACCOUNT = "ACCOUNT"
    CONTACT = "CONTACT"


@strawberry.enum(description="File formats an import reads.")
class ImportFormat(Enum):
    CSV = strawberry.enum_value("CSV", description="UTF-8 (a byte-order mark is fine); comma, semicolon or tab.")
    XLSX = strawberry.enum_value("XLSX", description="An Excel workbook: its first sheet, first row the header.")
    XML = strawberry.enum_value("XML", description="The root's child elements are the records.")


@strawberry.type(description="A column of the file and the field it filled; `field` null: the column was ignored.")
class ImportColumn:
    column: str
    field: str | None


@strawberry.type(description="Why one row was not imported.")
class ImportProblem:
    row: int = strawberry.field(description="1-based number of the record in the file: the header row is not "
                                            "counted and blank rows are skipped, in every format.")
    column: str | None = strawberry.field(description="The column at fault, when one is.")
    field: str | None = strawberry.field(description="The field that column fills.")
    code: ErrorCode
    message: str
    duplicate_of: strawberry.ID | None = strawberry.field(
        description="DUPLICATE: the existing record (one you may read) with the same email.")
    duplicate_of_row: int | None = strawberry.field(
        description="DUPLICATE: the earlier row of this file with the same email.")

    @classmethod
    def from_problem(cls, problem: RowProblem, type_name: str) -> ImportProblem:
        return cls(
            row=problem.row, column=problem.column, field=problem.field, code=problem.code,
            message=problem.message, duplicate_of_row=problem.duplicate_of_row,
            duplicate_of=strawberry.ID(to_global_id(type_name, problem.duplicate_of)) if problem.duplicate_of else None,
        )


@strawberry.enum(description="What an import did with a row it wrote.")
class ImportRowAction(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"


@strawberry.type(description="One row the import created or updated (R-QRY-5).")
class ImportRowOutcome:
    row: int = strawberry.field(description="The row's number, as problems number rows (the first data row is 1).")
    action: ImportRowAction
    record_id: strawberry.ID | None = strawberry.field(description="Null for a row a dry run would create.")


@strawberry.type(description="What an import did (or, in a dry run, would do). Every row read is exactly one of "
                             "created, updated, duplicate or failed.")
class ImportResult:
    dry_run: bool
    record_type: ImportRecordType
    format: ImportFormat
    rows_in_file: int
    rows_read: int = strawberry.field(description="Fewer than rowsInFile only when the import stopped early "
                                                  "(`complete` false).")
    created: int = strawberry.field(description="Records created; in a dry run, records that would be.")
    duplicates: int
    failed: int
    complete: bool = strawberry.field(description="False when a batch could not be written: its rows are "
                                                  "BATCH_FAILED and the rows after it were not read.")
    columns: list[ImportColumn]
    problems: list[ImportProblem] = strawberry.field(description="In row order; at most 1,000 (see "
                                                                 "problemsTruncated).")
    problems_truncated: bool
    created_ids: list[strawberry.ID] = strawberry.field(description="The first 100 records created, in file order.")
    updated: int = strawberry.field(description="Rows whose `upsertBy` key found a record, which they updated.")
    rows: list[ImportRowOutcome] = strawberry.field(
        description="Each row created or updated, in file order; at most 1,000 (see rowsTruncated).")
    rows_truncated: bool

    @classmethod
    def from_result(cls, result: ResultRow) -> ImportResult:
        type_name = TYPE_NAMES[result.record_type]
        return cls(
            dry_run=result.dry_run, record_type=ImportRecordType(result.record_type),
            format=ImportFormat(result.format), rows_in_file=result.rows_in_file, rows_read=result.rows_read,
            created=result.created, duplicates=result.duplicates, failed=result.failed, complete=result.complete,
            columns=[ImportColumn(column=c, field=f) for c, f in result.columns],
            problems=[ImportProblem.from_problem(p, type_name) for p in result.problems],
            problems_truncated=result.problems_truncated,
            created_ids=[strawberry.ID(to_global_id(type_name, i)) for i in result.created_ids],
            updated=result.updated, rows_truncated=result.outcomes_truncated,
            rows=[ImportRowOutcome(row=row, action=ImportRowAction(action),
                                   record_id=strawberry.ID(to_global_id(type_name, i)) if i else None)
                  for row, action, i in result.outcomes],
        )

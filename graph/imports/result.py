"""What an import reports: counts, the column mapping used, and one problem per row and cause.

Every row read ends as exactly one of created (or, in a dry run, would be created),
updated (its upsert key found a record, R-QRY-5), duplicate, or failed, so
`rows_read == created + updated + duplicates + failed`. The problem list is
capped at `MAX_PROBLEMS` (the counts are not): a 100,000-row file with a wrong column
must not produce a response of 100,000 entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from graph.rules.errors import ErrorCode

MAX_PROBLEMS = 1000
MAX_CREATED_IDS = 100


@dataclass(frozen=True)
class RowProblem:
    """Why one row was not imported: its number, the column and field at fault (if one is)."""

    row: int
    code: ErrorCode
    message: str
    column: str | None = None
    field: str | None = None
    # A DUPLICATE names what it duplicates: an existing record the importer can read,
    # and/or an earlier row of the same file.
    duplicate_of: uuid.UUID | None = None
    duplicate_of_row: int | None = None


@dataclass
class ImportResult:
    record_type: str
    format: str
    dry_run: bool
    columns: tuple[tuple[str, str | None], ...]
    rows_in_file: int = 0
    rows_read: int = 0
    created: int = 0
    duplicates: int = 0
    failed: int = 0
    # False when a batch could not be written: the import stopped there (see `rows_read`).
    complete: bool = True
    problems: list[RowProblem] = field(default_factory=list)
    problems_truncated: bool = False
    # The first `MAX_CREATED_IDS` records created, in file order (none in a dry run).
    created_ids: list[uuid.UUID] = field(default_factory=list)
    # Rows whose upsert key found a record, which they updated (R-QRY-5).
    updated: int = 0
    # What each created or updated row did, in file order, at most `MAX_PROBLEMS`:
    # (row, CREATED or UPDATED, the record's id; None for a created one in a dry run).
    outcomes: list[tuple[int, str, uuid.UUID | None]] = field(default_factory=list)
    outcomes_truncated: bool = False

    def add_outcomes(self, outcomes: list[tuple[int, str, uuid.UUID]], *, dry_run: bool) -> None:
        for row, what, record_id in sorted(outcomes):
            if len(self.outcomes) >= MAX_PROBLEMS:
                self.outcomes_truncated = True
                return
            self.outcomes.append((row, what, None if dry_run and what == "CREATED" else record_id))

    def add_problems(self, problems: Iterable[RowProblem]) -> None:
        for problem in problems:
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(problem)
            else:
                self.problems_truncated = True

"""System stamps and optimistic concurrency shared by every command (R-ACT-2, R-API-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
import uuid

from graph.commands import audit  # noqa: F401 - every stamped write is audited (its flush hook)
from graph.rules.errors import DomainError, ErrorCode


class StampedRow(Protocol):
    created_on: datetime
    modified_on: datetime
    created_by_id: uuid.UUID
    modified_by_id: uuid.UUID
    version: int


def stamp_new(row: Any, actor_id: uuid.UUID, now: datetime) -> None:
    row.created_on = now
    row.modified_on = now
    row.created_by_id = actor_id
    row.modified_by_id = actor_id
    row.version = 1


def stamp_change(row: Any, actor_id: uuid.UUID, now: datetime, expected_version: int | None) -> None:
    """Bump the version; a stale `expectedVersion` fails with CONFLICT before anything is written."""
    check_version(row, expected_version)
    row.modified_on = now
    row.modified_by_id = actor_id
    row.version = row.version + 1


def check_version(row: Any, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != row.version:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"the record was changed by someone else (version {row.version}, "
            f"you expected {expected_version}); reload and try again",
            ["input", "expectedVersion"],
        )

"""What the recycle bin shows (R-QRY-4): one deleted record or activity, and when it went."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from graph import models
from resolvers.ids import to_global_id
from schema.types.activities import GRAPHQL_NAMES as ACTIVITY_NAMES
from schema.types.activities import Activity, activity_node
from schema.types.records import GRAPHQL_NAMES as RECORD_NAMES
from schema.types.records import Record, record_node


@strawberry.enum
class DeletedKind(Enum):
    RECORD = "RECORD"
    ACTIVITY = "ACTIVITY"


@strawberry.type(description="A deleted record or activity, restorable with `restore` until it is purged.")
class DeletedItem:
    id: strawberry.ID = strawberry.field(description="Its global id, as `restore` takes it.")
    kind: DeletedKind
    name: str = strawberry.field(description="The record's name or the activity's subject.")
    deleted_on: datetime
    deleted_by_id: strawberry.ID | None
    record: Record | None = strawberry.field(description="The record as it was deleted (records only).")
    activity: Activity | None = strawberry.field(description="The activity as it was deleted (activities only).")
    raw_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: Any) -> DeletedItem:
        deleted_by = to_global_id("User", row.deleted_by_id) if row.deleted_by_id else None
        if isinstance(row, models.Record):
            return cls(id=strawberry.ID(to_global_id(RECORD_NAMES[row.type], row.id)), kind=DeletedKind.RECORD,
                       name=row.name, deleted_on=row.deleted_on, deleted_by_id=deleted_by,  # type: ignore[arg-type]
                       record=record_node(row), activity=None, raw_id=row.id)
        return cls(id=strawberry.ID(to_global_id(ACTIVITY_NAMES[row.type], row.id)), kind=DeletedKind.ACTIVITY,
                   name=row.subject, deleted_on=row.deleted_on, deleted_by_id=deleted_by,  # type: ignore[arg-type]
                   record=None, activity=activity_node(row), raw_id=row.id)

"""The audit trail as clients see it: who changed which field, when, old → new."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from resolvers.context import Info, now_or_later
from schema.types.principals import Principal


@strawberry.enum(description="What happened to the record, activity or note.")
class AuditAction(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


def _shown(value: Any) -> str | None:
    """Text as it is; other values (numbers, flags, lists) as JSON; null stays null."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


@strawberry.type(description="One changed field: its name as the API spells it, and its values before and after.")
class AuditChange:
    field: str
    old_value: str | None
    new_value: str | None

    @classmethod
    def from_json(cls, change: dict[str, Any]) -> AuditChange:
        return cls(field=str(change.get("field")), old_value=_shown(change.get("old")),
                   new_value=_shown(change.get("new")))


@strawberry.type(description="One write to a record, activity or note (administrators only).")
class AuditEntry:
    action: AuditAction
    subject_id: strawberry.ID
    subject_type: str
    changed_on: datetime
    version: int | None
    changes: list[AuditChange]
    actor_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who made the change; null when it was the system.")
    def actor(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.actor_id)

"""Payloads of the activity mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.activities import Activity, Task


@strawberry.type
class TaskPayload:
    errors: list[UserError]
    task: Task | None = None


@strawberry.type
class ActivityPayload:
    errors: list[UserError]
    activity: Activity | None = None

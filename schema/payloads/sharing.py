"""Payloads of sharing."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.sharing import RecordGrant


@strawberry.type
class ShareRecordPayload:
    errors: list[UserError]
    grant: RecordGrant | None = None


@strawberry.type
class UnshareRecordPayload:
    errors: list[UserError]
    record_id: strawberry.ID | None = None

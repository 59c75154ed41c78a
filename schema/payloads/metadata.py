"""Payloads of the metadata mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.metadata import RecordTypeInfo


@strawberry.type
class RenameRecordTypePayload:
    errors: list[UserError]
    record_type: RecordTypeInfo | None = None

"""Inputs of the metadata operations."""

from __future__ import annotations

import strawberry

from schema.types.metadata import RecordType


@strawberry.input(description="R-REC-3: new display names for a record type; giving the defaults back resets them.")
class RenameRecordTypeInput:
    record_type: RecordType
    singular: str
    plural: str

"""Fields an administrator adds to a record type (R-QRY-2), described here; the values live
in the record's own `custom_fields` JSON column (docs/custom-fields.md says why).

A definition is never deleted: retiring it hides the field and its values, and keeps its
name taken, so a new field can never show an old field's values under the same name.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base, new_id


class CustomFieldDefinition(Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (Index(None, "record_type", "name", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_type: Mapped[str] = mapped_column(String(20))
    # The key in `records.custom_fields` and in the API (`customField(name:)`); never changes.
    name: Mapped[str] = mapped_column(String(40))
    # What people see, and what an import's column header is matched against.
    label: Mapped[str] = mapped_column(String(100))
    # TEXT, NUMBER, DECIMAL, DATE, DATETIME, BOOLEAN, CHOICE, MULTI_CHOICE or LOOKUP.
    type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=False)
    choices: Mapped[list[str]] = mapped_column(JSON(), default=list)
    # LOOKUP: the record type the value points at.
    lookup_type: Mapped[str | None] = mapped_column(String(20))
    # Where the field's values are indexed (created with the field, dropped when retired).
    index_name: Mapped[str | None] = mapped_column(String(63))
    retired: Mapped[bool] = mapped_column(default=False)
    created_on: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    modified_on: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

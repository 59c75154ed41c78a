"""Notes and attachments (R-NOTE-1, R-ATT-1)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base, Stamped, new_id


class Note(Stamped, Base):
    __tablename__ = "notes"
    __table_args__ = (Index(None, "record_id"), Index(None, "activity_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    title: Mapped[str | None] = mapped_column(String(400))
    text: Mapped[str | None] = mapped_column(Text)
    # Exactly one of the two is set: the record or the activity the note is attached to.
    record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    activity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("activities.id"))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    owning_business_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_units.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    modified_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    attachment_count: Mapped[int] = mapped_column(default=0)


class Attachment(Base):
    """A file's metadata; its bytes live in the file store under `storage_key`."""

    __tablename__ = "attachments"
    __table_args__ = (Index(None, "note_id"), Index(None, "activity_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notes.id"))
    activity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("activities.id"))
    file_name: Mapped[str] = mapped_column(String(400))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    created_on: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))

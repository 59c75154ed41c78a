"""The audit trail (SPEC §9 issue "Security and reliability"): who changed which field of a
record, activity or note, when, from what to what.

Rows are written by a flush hook (`graph/commands/audit.py`), never by commands. No
foreign key on `subject_id`: the trail of a deleted activity or note outlives it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import BIG_ID, Base


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index(None, "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    # RECORD, ACTIVITY or NOTE, and the row's own type (ACCOUNT, TASK, NOTE, …).
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID]
    # CREATED, UPDATED or DELETED.
    action: Mapped[str] = mapped_column(String(10))
    # [{"field": "jobTitle", "old": "Buyer", "new": "Head buyer"}, …]; empty for CREATED/DELETED.
    changes: Mapped[list[dict[str, Any]]] = mapped_column()
    actor_id: Mapped[uuid.UUID | None]
    changed_on: Mapped[datetime]
    # The row's version after the change (R-API-1), when it has one.
    version: Mapped[int | None]

"""Delivery of emails that are not simply recorded (R-MAIL-2): one row per email to send.

The email itself is an activity in PENDING_SEND with `send_at`; this row records the
attempts, so two processes or a restart neither lose nor double a send: a process claims
the row with a lease (`claimed_until`), delivers, and records `sent_on`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base


class EmailSend(Base):
    __tablename__ = "email_sends"

    activity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    sent_on: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_on: Mapped[datetime]

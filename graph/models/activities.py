"""Activities (SPEC §3): one table for the five types, plus their parties.

One table keeps "my activities" and timeline pages to a single indexed scan; the
type-specific columns are few and nullable.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base, Stamped, new_id


class Activity(Stamped, Base):
    __tablename__ = "activities"
    __table_args__ = (
        Index(None, "owner_id", "state", "due"),
        # "My activities" by creation time (R-VIEW-1): the first page of one owner's list is
        # a range scan stopping after a page, not a sort of all of that owner's rows.
        Index("ix_activities_owner_id_created_on", "owner_id", "created_on", "id"),
        Index(None, "regarding_id"),
        Index(None, "owning_business_unit_id"),
        # The scheduled-send scheduler's scan: PENDING_SEND emails by send time (R-MAIL-2).
        Index(None, "state", "send_at"),
        UniqueConstraint("message_id"),
        # Once only (R-TRACK-2): the database, not a read-then-write check, refuses a second
        # activity for the same meeting, so two concurrent saves cannot both create one.
        UniqueConstraint("ical_uid"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(400))
    description: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10), default="NORMAL")
    due: Mapped[datetime | None]
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    actual_end: Mapped[datetime | None]
    regarding_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    regarding_type: Mapped[str | None] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    owning_business_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_units.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    modified_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    # Phone calls and text messages.
    phone_number: Mapped[str | None] = mapped_column(String(50))
    direction: Mapped[str | None] = mapped_column(String(10))
    # Emails.
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(400))
    in_reply_to: Mapped[str | None] = mapped_column(String(400))
    categories: Mapped[list[str] | None] = mapped_column()
    send_at: Mapped[datetime | None]
    # When a tracked email was sent (R-TRACK-1), as the mail client says.
    sent_on: Mapped[datetime | None]
    # Appointments.
    location: Mapped[str | None] = mapped_column(String(400))
    online_meeting_url: Mapped[str | None] = mapped_column(String(1000))
    # A tracked meeting's iCalendar UID: a later save of the same meeting updates it.
    ical_uid: Mapped[str | None] = mapped_column(String(400))
    # Saved from a mail client (R-TRACK-*): may be relinked, recategorised or deleted there.
    is_tracked: Mapped[bool] = mapped_column(default=False)
    # Counted on their owner (R-ATT-1), so a page shows counts without another query.
    attachment_count: Mapped[int] = mapped_column(default=0)
    note_count: Mapped[int] = mapped_column(default=0)
    # A copy of the parties, written with them, so a page needs no extra statement.
    party_list: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # Recycle bin (R-QRY-4): set while deleted; off every timeline, hidden by the read predicate.
    deleted_on: Mapped[datetime | None] = mapped_column(index=True)
    deleted_by_id: Mapped[uuid.UUID | None]


class ActivityParty(Base):
    """A typed participant (R-ACT-4): a user, contact, lead, account, or a bare address."""

    __tablename__ = "activity_parties"
    __table_args__ = (Index(None, "party_id"), Index(None, "activity_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(30))
    party_type: Mapped[str | None] = mapped_column(String(20))
    party_id: Mapped[uuid.UUID | None]
    address: Mapped[str | None] = mapped_column(String(320))

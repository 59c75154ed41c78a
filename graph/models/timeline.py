"""The timeline index (DESIGN §4): roll-up resolved on write, read by one range scan.

`timeline_entries` has one row per (record, entry) for every record whose timeline shows
the entry; type, state, owner and sort key are copied in so a page filters and checks
permissions without touching other tables. `timeline_counts` keeps the chip counts.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import BIG_ID, Base


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (
        UniqueConstraint("record_id", "entry_id"),
        Index(None, "record_id", "sort_key", "entry_id"),
        Index(None, "entry_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("records.id"))
    entry_id: Mapped[uuid.UUID]
    activity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    entry_type: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID]
    owning_business_unit_id: Mapped[uuid.UUID]
    # DIRECT: the entry is about this record or names it as a party; RELATED: rolled up.
    relation: Mapped[str] = mapped_column(String(10))
    sort_key: Mapped[datetime]


class TimelineCount(Base):
    __tablename__ = "timeline_counts"

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    relation: Mapped[str] = mapped_column(String(10), primary_key=True)
    entry_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    # Owner and unit in the key: counts narrowed by owner, or by a viewer's read scope,
    # stay exact and cheap (R-TL-1, R-SEC-1).
    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owning_business_unit_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)

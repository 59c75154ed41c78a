"""Sequences and the sales work list (R-SEQ-1, R-WL-1…4).

A `Sequence` is a manager's template: ordered `SequenceStep`s (activity steps and waits).
Connecting it to a lead or opportunity makes a `RecordSequence` (one connected per record)
and, step by step, `RecordStep`s: one row per step reached, each pointing at the activity
that does the work. Later steps are not written ahead of time: they are computed from the
template, so an owner change or a snooze never has rows to rewrite (R-WL-4).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base, new_id


class Sequence(Base):
    __tablename__ = "sequences"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # ACTIVE, or INACTIVE once retired: runs already connected go on, no new connections.
    state: Mapped[str] = mapped_column(String(10), default="ACTIVE")
    # Activity steps only (waits are not counted): what "step 2 of 5" means to a seller.
    activity_step_count: Mapped[int] = mapped_column(default=0)
    created_on: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    modified_on: Mapped[datetime]
    modified_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    version: Mapped[int] = mapped_column(default=1)


class SequenceStep(Base):
    """One step of a template: an activity step (kind, subject, instructions) or a WAIT."""

    __tablename__ = "sequence_steps"
    __table_args__ = (UniqueConstraint("sequence_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    # 1-based, over every step including waits.
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(400))
    instructions: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10), default="NORMAL")
    # WAIT steps only: how long after the previous step the next one is due.
    wait_minutes: Mapped[int | None]


class RecordSequence(Base):
    """A sequence connected to a record: ACTIVE, PAUSED, COMPLETED or DISCONNECTED.

    One connected (ACTIVE or PAUSED) run per record, enforced by the database: `connected`
    is 1 while connected and NULL afterwards, and (record_id, connected) is unique. NULLs
    are distinct in unique constraints on SQLite and PostgreSQL alike, so any number of
    finished runs can sit beside the one connected run.
    """

    __tablename__ = "record_sequences"
    __table_args__ = (
        UniqueConstraint("record_id", "connected"),
        Index(None, "sequence_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("records.id"))
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id"))
    state: Mapped[str] = mapped_column(String(15))
    connected: Mapped[int | None]
    # Position (in `sequence_steps`) of the current step; None once the run has ended.
    current_position: Mapped[int | None]
    connected_on: Mapped[datetime]
    connected_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    paused_on: Mapped[datetime | None]
    ended_on: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)


class RecordStep(Base):
    """A step a record has reached: OPEN (the current one), COMPLETED, SKIPPED or CANCELED."""

    __tablename__ = "record_steps"
    __table_args__ = (
        UniqueConstraint("activity_id"),
        Index(None, "record_sequence_id", "position"),
        Index(None, "record_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    record_sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("record_sequences.id"))
    sequence_step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequence_steps.id"))
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("records.id"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10))
    # The activity that does the work; its owner and due are the step's.
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id"))
    snooze_count: Mapped[int] = mapped_column(default=0)
    started_on: Mapped[datetime]
    ended_on: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principals.id"))

"""The outbox (DESIGN §5): every committed change has its events here, same transaction.

`id` orders inserts; `seq` is the public, gap-free cursor stamped after commit by the
relay (on SQLite the rowid already is commit order). `event_topics` lets a subscriber
replay one topic (`timeline:<id>`, `record:<id>`, `worklist:<user>`) by an index scan:
each topic row carries its event's seq (copied by the relay when it stamps the event, in
the same transaction), so a page after a cursor is a range of the (topic, seq) index.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import BIG_ID, Base


class OutboxEvent(Base):
    __tablename__ = "events"
    __table_args__ = (Index(None, "seq", unique=True),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]]
    actor_id: Mapped[uuid.UUID | None]
    created_on: Mapped[datetime]


class EventTopic(Base):
    __tablename__ = "event_topics"
    __table_args__ = (Index("ix_event_topics_topic_seq", "topic", "seq"),)

    event_id: Mapped[int] = mapped_column(
        BIG_ID, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger)


class IdempotencyKey(Base):
    """R-API-2: a create repeated with the same clientMutationId returns the first result."""

    __tablename__ = "idempotency_keys"

    actor_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    operation: Mapped[str] = mapped_column(String(60), primary_key=True)
    client_mutation_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    result_id: Mapped[uuid.UUID]
    created_on: Mapped[datetime]

"""Webhooks (R-LIVE-6): endpoints an administrator registered, and every delivery attempt.

A webhook reads the outbox by `seq` like the live-update dispatcher does, from its own
persisted `cursor` (the last event it is done with: delivered, or skipped by its filter),
so nothing is lost across restarts or a receiver's outage. `lease_owner`/`lease_until`
let one server process at a time deliver a given webhook when several share a database.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import BIG_ID, Base, new_id


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    # Kept to sign every body (HMAC-SHA256); shown to the administrator once, at creation.
    secret: Mapped[str] = mapped_column(String(200))
    # Empty lists mean "every kind" / "every record type".
    event_kinds: Mapped[list[str]] = mapped_column(default=list)
    record_types: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set while the event after `cursor` keeps failing: when to try it again, and how often it failed.
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_on: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    created_on: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    modified_on: Mapped[datetime]


class WebhookDelivery(Base):
    """One attempt to deliver one event to one webhook; successful or not."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index(None, "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_kind: Mapped[str] = mapped_column(String(60))
    attempt: Mapped[int]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    attempted_on: Mapped[datetime]
    next_attempt_on: Mapped[datetime | None]
    delivered_on: Mapped[datetime | None]

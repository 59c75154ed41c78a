"""Webhooks and their delivery log, as administrators see them (R-LIVE-6)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graph import models
from resolvers.ids import to_global_id
from schema.types.metadata import RecordType
from subscriptions.log import encode_cursor


@strawberry.enum(description="Kinds of events a webhook can receive (the `kind` field of a delivery's body).")
class WebhookEventKind(Enum):
    RECORD_CHANGED = "record.changed"
    TIMELINE_CHANGED = "timeline.changed"
    WORK_LIST_CHANGED = "worklist.changed"


@strawberry.type(description="An HTTPS endpoint that receives Relate's events, signed, in order, retried "
                             "until accepted (R-LIVE-6). Its secret is shown only by `createWebhook`.")
class Webhook:
    id: strawberry.ID
    url: str
    description: str | None
    event_kinds: list[WebhookEventKind] = strawberry.field(description="Empty: every kind.")
    record_types: list[RecordType] = strawberry.field(description="Empty: every record type.")
    active: bool
    created_on: datetime
    cursor: str = strawberry.field(
        description="The live-update cursor of the last event this webhook is done with (delivered, or "
                    "not wanted by its filter); deliveries resume after it.")
    pending_events: int = strawberry.field(
        description="Events after the cursor, not yet delivered or skipped (some may not match the filter).")
    failures: int = strawberry.field(description="Failed attempts so far at the event after the cursor.")
    next_attempt_on: datetime | None = strawberry.field(description="When that event is tried again.")

    @classmethod
    def from_row(cls, row: models.Webhook, head: int) -> Webhook:
        return cls(
            id=strawberry.ID(to_global_id("Webhook", row.id)), url=row.url, description=row.description,
            event_kinds=[WebhookEventKind(k) for k in row.event_kinds or ()],
            record_types=[RecordType(t) for t in row.record_types or ()],
            active=row.active, created_on=row.created_on, cursor=encode_cursor(int(row.cursor)),
            pending_events=max(0, head - int(row.cursor)), failures=row.failures,
            next_attempt_on=row.next_attempt_on,
        )


@strawberry.type(description="One attempt to deliver one event to a webhook.")
class WebhookDelivery:
    id: strawberry.ID
    webhook_id: strawberry.ID
    event_id: str = strawberry.field(description="The event's `seq`, as sent in `X-Relate-Event-Id`.")
    event_cursor: str = strawberry.field(description="The same event's live-update cursor.")
    event_kind: str
    attempt: int = strawberry.field(description="1 for the first try of this event, 2 for the first retry …")
    status_code: int | None = strawberry.field(description="The receiver's HTTP status; null when it was not reached.")
    error: str | None
    duration_ms: int | None
    attempted_on: datetime
    next_attempt_on: datetime | None
    delivered_on: datetime | None = strawberry.field(description="Set when the receiver accepted it (HTTP 2xx).")

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(row.id)), webhook_id=strawberry.ID(to_global_id("Webhook", row.webhook_id)),
            event_id=str(row.event_seq), event_cursor=encode_cursor(int(row.event_seq)),
            event_kind=row.event_kind, attempt=row.attempt, status_code=row.status_code, error=row.error,
            duration_ms=row.duration_ms, attempted_on=row.attempted_on, next_attempt_on=row.next_attempt_on,
            delivered_on=row.delivered_on,
        )

"""Inputs of the webhook mutations (R-LIVE-6)."""

from __future__ import annotations

import strawberry

from schema.types.metadata import RecordType
from schema.types.webhooks import WebhookEventKind


@strawberry.input(description="An endpoint to receive events; HTTPS (plain http only to this machine).")
class CreateWebhookInput:
    url: str
    description: str | None = None
    event_kinds: list[WebhookEventKind] = strawberry.field(
        default_factory=list, description="Only these kinds; empty or omitted: every kind.")
    record_types: list[RecordType] = strawberry.field(
        default_factory=list, description="Only events about records of these types; empty or omitted: every type.")
    active: bool = True


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID

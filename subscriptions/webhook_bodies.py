"""What a webhook receives for one outbox event: a JSON body, and the headers that sign it.

The body is built once per event and kept byte for byte across retries; each attempt is
signed afresh (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`
over "id.timestamp.body"), so a receiver can verify the exact bytes, refuse old
timestamps, and drop duplicates by `webhook-id` (deliveries are at least once).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from graph.rules import webhooks as rules
from resolvers.ids import to_global_id
from schema.types.records import GRAPHQL_NAMES as RECORD_NAMES
from subscriptions.log import LogEvent

USER_AGENT = "Relate-Webhooks/1"


def concerned_record_ids(event: LogEvent) -> list[uuid.UUID]:
    """The records an event is about: the changed record, or the timelines an entry is on."""
    payload = event.payload
    raw: list[str] = []
    if event.kind == "timeline.changed":
        raw = [*payload.get("shownOn", ()), *payload.get("removedFrom", ())]
    elif payload.get("recordId"):
        raw = [payload["recordId"]]
    found: list[uuid.UUID] = []
    for value in raw:
        try:
            parsed = uuid.UUID(str(value))
        except ValueError:
            continue
        if parsed not in found:
            found.append(parsed)
    return found


def body(event: LogEvent, webhook_id: uuid.UUID, types: Mapping[uuid.UUID, str]) -> bytes:
    records = [
        {"id": to_global_id(RECORD_NAMES[types[r]], r), "type": types[r]}
        for r in concerned_record_ids(event) if types.get(r) in RECORD_NAMES
    ]
    document: dict[str, Any] = {
        "eventId": str(event.seq),
        "seq": event.seq,
        "cursor": event.cursor,
        "kind": event.kind,
        "occurredOn": event.created_on.isoformat(),
        "actorId": to_global_id("User", event.actor_id) if event.actor_id else None,
        "webhookId": to_global_id("Webhook", webhook_id),
        "records": records,
        "data": event.payload,
    }
    return orjson.dumps(document)


def headers(secret: str, event: LogEvent, content: bytes, attempt: int, sent_at: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **rules.signature_headers(secret, rules.message_id(event.seq), sent_at, content),
        rules.EVENT_ID_HEADER: str(event.seq),
        "X-Relate-Event-Kind": event.kind,
        "X-Relate-Delivery-Attempt": str(attempt),
    }

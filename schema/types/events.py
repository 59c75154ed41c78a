"""What live subscriptions push (R-LIVE-1): the change, the changed object and a cursor."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.types.records import Record
from schema.types.timeline import TimelineEntry

CURSOR_HELP = "Pass as `after` when subscribing again to resume right after this event (R-LIVE-2)."


@strawberry.enum(description="What happened to the object, from the subscriber's point of view.")
class ChangeKind(Enum):
    ADDED = "ADDED"
    CHANGED = "CHANGED"
    REMOVED = "REMOVED"


@strawberry.type(description="An entry was added to, changed on or removed from a record's timeline, "
                             "roll-up included (R-LIVE-1, R-TL-2).")
class TimelineChangedEvent:
    cursor: str = strawberry.field(description=CURSOR_HELP)
    change: ChangeKind = strawberry.field(description="ADDED/REMOVED: the entry now shows / no longer shows on this timeline.")
    record_id: strawberry.ID = strawberry.field(description="The record whose timeline this is.")
    entry_id: strawberry.ID
    entry: TimelineEntry | None = strawberry.field(description="The activity or note as it is now, as you may see it.")


@strawberry.type(description="A record's fields or state changed (R-LIVE-1).")
class RecordChangedEvent:
    cursor: str = strawberry.field(description=CURSOR_HELP)
    change: ChangeKind
    changed_fields: list[str] = strawberry.field(description="The stored fields that changed, when known.")
    record: Record | None = strawberry.field(description="The record as it is now.")


@strawberry.type(description="Your work list changed: a new step, completed, snoozed, reassigned, "
                             "an owner change (R-LIVE-1, R-WL-1).")
class WorkListChangedEvent:
    cursor: str = strawberry.field(description=CURSOR_HELP)
    change: ChangeKind
    reason: str = strawberry.field(description="What happened, as the work list reports it.")
    record: Record | None = strawberry.field(description="The record whose item changed, if any.")

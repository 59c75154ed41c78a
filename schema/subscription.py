"""The Subscription root (R-LIVE-1): binds each field to its resolver in `subscriptions/`.

Protocol, cursors, close codes and error codes: docs/live-updates.md.
"""

from __future__ import annotations

import strawberry

from schema.types.events import RecordChangedEvent, TimelineChangedEvent, WorkListChangedEvent
from subscriptions import resolvers as live


@strawberry.type
class Subscription:
    timeline_changed: TimelineChangedEvent = strawberry.subscription(
        resolver=live.timeline_changed,
        description="Entries added to, changed on or removed from this record's timeline, roll-up "
                    "included. With `after`, first every event since that cursor, in order (R-LIVE-2).",
    )
    work_list_changed: WorkListChangedEvent = strawberry.subscription(
        resolver=live.work_list_changed,
        description="Changes to your work list. With `after`, first every event since that cursor.",
    )
    record_changed: RecordChangedEvent = strawberry.subscription(
        resolver=live.record_changed,
        description="Changes to this record's fields or state. With `after`, first every event since that cursor.",
    )

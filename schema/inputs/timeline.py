"""Inputs of the timeline query (R-TL-1)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.activities import ActivityState
from schema.types.timeline import TimelineEntryType


@strawberry.input(description="Narrow a timeline; every given condition must hold, empty lists narrow nothing.")
class TimelineFilter:
    types: list[TimelineEntryType] | None = strawberry.field(default=None, description="Activity types and/or NOTE.")
    states: list[ActivityState] | None = strawberry.field(
        default=None, description="Activity states; a note has no state, so giving states leaves notes out."
    )
    owner_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Users or teams.")
    since: datetime | None = strawberry.field(
        default=None, description="Entries dated at or after this time (with a time zone offset)."
    )
    until: datetime | None = strawberry.field(default=None, description="Entries dated before this time.")
    text: str | None = strawberry.field(
        default=None, description="Part of an activity's subject or description, or a note's title or text."
    )

"""Timelines (R-TL-1, R-TL-2): a connection of entries, activities and notes, with counts.

`TimelineEntry` is a union, not an interface. The five activity types already share the
`Activity` interface, so clients select common activity fields once with
`... on Activity { … }` and note fields with `... on Note { … }`; a union asks nothing of
`Note` (it has no subject, state or parties to pretend to have), and a later entry type
joins without changing an interface every member must implement. What every entry has
in common for drawing a timeline — its type, its date and whether it is about the record
itself or rolled up — sits on the edge, so a client can group and label rows without a
fragment per type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from graph import models
from schema.types.activities import (
    ActivityState,
    Appointment,
    Email,
    PhoneCall,
    Task,
    TextMessage,
    activity_node,
)
from schema.types.connection import PageInfo
from schema.types.notes import Note, note_node


@strawberry.enum(description="What a timeline entry is: one of the activity types, or a note.")
class TimelineEntryType(Enum):
    TASK = "TASK"
    PHONE_CALL = "PHONE_CALL"
    EMAIL = "EMAIL"
    APPOINTMENT = "APPOINTMENT"
    TEXT_MESSAGE = "TEXT_MESSAGE"
    NOTE = "NOTE"


@strawberry.enum(description="Which entries a timeline shows (R-TL-2), as Dataverse's RollupType.")
class RollupType(Enum):
    NONE = strawberry.enum_value("NONE", description="Only entries about the record or naming it as a party.")
    RELATED = strawberry.enum_value(
        "RELATED", description="Also what rolls up: a contact's entries on its account, and so on."
    )
    EXTENDED = strawberry.enum_value(
        "EXTENDED", description="Also the account tree below: child accounts and what rolls up to them."
    )


@strawberry.enum(description="How an entry reached this timeline.")
class TimelineRelation(Enum):
    DIRECT = strawberry.enum_value("DIRECT", description="It is about this record or names it as a party.")
    RELATED = strawberry.enum_value("RELATED", description="It rolled up from a related record.")


TimelineEntry = Annotated[
    Task | PhoneCall | Email | Appointment | TextMessage | Note,
    strawberry.union("TimelineEntry", description="An activity of any type, or a note (R-NOTE-1)."),
]


def entry_node(activity: models.Activity | None, note: models.Note | None) -> Any:
    """The GraphQL object for one entry's row."""
    if activity is not None:
        return activity_node(activity)
    if note is not None:
        return note_node(note)
    return None


@strawberry.type
class TimelineEdge:
    cursor: str
    node: TimelineEntry
    entry_type: TimelineEntryType
    date: datetime = strawberry.field(description="The entry's place on the timeline (newest first).")
    relation: TimelineRelation


@strawberry.type(description="How many entries of one type the filter matches.")
class TypeCount:
    type: TimelineEntryType
    count: int


@strawberry.type(description="How many activities in one state the filter matches (notes have no state).")
class StateCount:
    state: ActivityState
    count: int


@strawberry.type(description=(
    "Counts for filter chips (R-TL-1). Exact when the filter narrows only by type, state or "
    "owner; narrowed by text or date (or EXTENDED), counting stops at a cap and `isExact` is "
    "false: then every number means \"at least\". Types and states with no entries are left out."
))
class TimelineCounts:
    total: int
    is_exact: bool
    by_type: list[TypeCount]
    by_state: list[StateCount]


@strawberry.type
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo
    # Either the counts, read beside the page, or how to read them on demand (once).
    counts_source: strawberry.Private[Callable[[], Awaitable[TimelineCounts] | TimelineCounts]]

    @strawberry.field(description="Entries the filter matches that you may read; the same number as `counts.total`.")
    def total_count(self) -> int:
        found = self.counts_source()
        if isinstance(found, TimelineCounts):
            return found.total
        return _total(found)  # type: ignore[return-value]  # awaited by GraphQL

    @strawberry.field
    def counts(self) -> TimelineCounts:
        return self.counts_source()  # type: ignore[return-value]  # awaited by GraphQL when not read yet

    @strawberry.field(description="The nodes of `edges`, for clients that do not need cursors.")
    def nodes(self) -> list[TimelineEntry]:
        return [edge.node for edge in self.edges]


async def _total(counts: Awaitable[TimelineCounts]) -> int:
    return (await counts).total


TIMELINE_TYPES: list[type] = [TimelineConnection, TimelineEdge, TimelineCounts, TypeCount, StateCount]

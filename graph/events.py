"""Events written to the outbox with every change (DESIGN §5).

Each names the topics it concerns so subscribers of a timeline, a record or a work list
can replay exactly their events by cursor. Every change to an activity or note writes one:
on a timeline, `TimelineChanged`; on none (personal), `PersonalEntryChanged`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


def timeline_topic(record_id: uuid.UUID) -> str:
    return f"timeline:{record_id}"


def record_topic(record_id: uuid.UUID) -> str:
    return f"record:{record_id}"


def worklist_topic(user_id: uuid.UUID) -> str:
    return f"worklist:{user_id}"


def personal_topic(owner_id: uuid.UUID) -> str:
    """A principal's entries that show on no timeline (personal activities and their notes)."""
    return f"personal:{owner_id}"


class Event:
    kind: str = "event"

    def topics(self) -> list[str]:
        return []

    def payload(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class RecordChanged(Event):
    record_id: uuid.UUID
    record_type: str
    change: str  # CREATED, UPDATED, STATE_CHANGED, OWNER_CHANGED
    fields: tuple[str, ...] = ()
    kind: str = field(default="record.changed", init=False)

    def topics(self) -> list[str]:
        return [record_topic(self.record_id)]

    def payload(self) -> dict[str, Any]:
        return {
            "recordId": str(self.record_id), "recordType": self.record_type,
            "change": self.change, "fields": list(self.fields),
        }


@dataclass(frozen=True)
class TimelineChanged(Event):
    """An entry was added to, changed on, or removed from some timelines."""

    entry_id: uuid.UUID
    entry_type: str
    change: str  # ADDED, CHANGED, REMOVED (per timeline: see `added`/`removed`)
    shown_on: tuple[uuid.UUID, ...]
    removed_from: tuple[uuid.UUID, ...] = ()
    added_to: tuple[uuid.UUID, ...] = ()
    kind: str = field(default="timeline.changed", init=False)

    def topics(self) -> list[str]:
        ids = set(self.shown_on) | set(self.removed_from)
        return [timeline_topic(i) for i in ids] + [record_topic(self.entry_id)]

    def payload(self) -> dict[str, Any]:
        return {
            "entryId": str(self.entry_id), "entryType": self.entry_type, "change": self.change,
            "shownOn": [str(i) for i in self.shown_on],
            "addedTo": [str(i) for i in self.added_to],
            "removedFrom": [str(i) for i in self.removed_from],
        }


@dataclass(frozen=True)
class PersonalEntryChanged(Event):
    """An activity or note that shows on no timeline was created or changed.

    A personal activity (about no record, naming none) is on no timeline, so no
    `TimelineChanged` tells of it; without this event its changes would leave no trace in
    the outbox, and whatever relies on "every committed change writes an event" (the
    response cache's freshness check, server/response_cache.py) would miss them. Its topic
    is the owner's at commit time.
    """

    entry_id: uuid.UUID
    entry_type: str
    owner_id: uuid.UUID
    kind: str = field(default="personal.changed", init=False)

    def topics(self) -> list[str]:
        return [personal_topic(self.owner_id), record_topic(self.entry_id)]

    def payload(self) -> dict[str, Any]:
        return {"entryId": str(self.entry_id), "entryType": self.entry_type, "ownerId": str(self.owner_id)}


@dataclass(frozen=True)
class WorkListChanged(Event):
    user_ids: tuple[uuid.UUID, ...]
    record_id: uuid.UUID | None
    change: str
    kind: str = field(default="worklist.changed", init=False)

    def topics(self) -> list[str]:
        return [worklist_topic(u) for u in self.user_ids]

    def payload(self) -> dict[str, Any]:
        return {
            "userIds": [str(u) for u in self.user_ids],
            "recordId": str(self.record_id) if self.record_id else None, "change": self.change,
        }


@dataclass(frozen=True)
class RecordAccessChanged(Event):
    """A record was shared or unshared (R-ADM-6): open subscriptions to it, its timeline
    included, check again at once whether their subscriber may still read it."""

    record_id: uuid.UUID
    record_type: str
    principal_id: uuid.UUID
    change: str  # SHARED, UNSHARED
    kind: str = field(default="record.changed", init=False)

    def topics(self) -> list[str]:
        return [record_topic(self.record_id), timeline_topic(self.record_id)]

    def payload(self) -> dict[str, Any]:
        return {"recordId": str(self.record_id), "recordType": self.record_type, "change": self.change,
                "fields": [], "principalId": str(self.principal_id)}


def organisation_topic() -> str:
    return "organisation"


@dataclass(frozen=True)
class OrganisationChanged(Event):
    """A user, team, unit or role was created or changed (R-ADM-*): the live event every
    administration mutation publishes, with the actor, after its commit."""

    subject_type: str  # USER, TEAM, BUSINESS_UNIT, ROLE, CUSTOM_FIELD
    subject_id: uuid.UUID
    change: str  # CREATED, UPDATED, DEACTIVATED, ACTIVATED, ROLES_CHANGED, MEMBERS_CHANGED, DEFINED, RETIRED, …
    kind: str = field(default="organisation.changed", init=False)

    def topics(self) -> list[str]:
        return [organisation_topic()]

    def payload(self) -> dict[str, Any]:
        return {"subjectType": self.subject_type, "subjectId": str(self.subject_id), "change": self.change}

"""Activities (SPEC §3): the `Activity` interface, one type per kind, and parties.

Built from a row in one pass; owner, creator, regarding record and party objects come
from loaders (already loaded when a page prefetched them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from graph import models
from graph.rules.activities import sender_number
from resolvers.context import Info, now_or_later
from resolvers.ids import to_global_id
from schema.types.node import Node
from schema.types.principals import Principal
from schema.types.records import Record


@strawberry.enum
class ActivityType(Enum):
    TASK = "TASK"
    PHONE_CALL = "PHONE_CALL"
    EMAIL = "EMAIL"
    APPOINTMENT = "APPOINTMENT"
    TEXT_MESSAGE = "TEXT_MESSAGE"


@strawberry.enum(description="R-ACT-3. SENT and RECEIVED count as completed; SCHEDULED is an open appointment.")
class ActivityState(Enum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    DRAFT = "DRAFT"
    PENDING_SEND = "PENDING_SEND"
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    SCHEDULED = "SCHEDULED"


@strawberry.enum
class Priority(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


@strawberry.enum(description="How a participant takes part in an activity (R-ACT-4).")
class PartyRole(Enum):
    FROM = "FROM"
    TO = "TO"
    CC = "CC"
    BCC = "BCC"
    REQUIRED_ATTENDEE = "REQUIRED_ATTENDEE"
    OPTIONAL_ATTENDEE = "OPTIONAL_ATTENDEE"
    ORGANIZER = "ORGANIZER"


@strawberry.enum
class Direction(Enum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


PRINCIPAL_PARTY_TYPES = ("USER", "TEAM")


@strawberry.type(description="A participant: a user, contact, lead or account, or a bare address that matched nobody.")
class ActivityParty:
    role: PartyRole
    address: str | None
    party_type: strawberry.Private[str | None]
    party_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The user or record; null for a bare address or one you may not read.")
    def party(self, info: Info) -> Node | None:
        if self.party_id is None:
            return None
        loaders = info.context.loaders
        loader = loaders.principal_by_id if self.party_type in PRINCIPAL_PARTY_TYPES else loaders.record_by_id
        return now_or_later(loader, self.party_id)

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ActivityParty:
        party_id = item.get("party_id")
        return cls(role=PartyRole(item["role"]), address=item.get("address"), party_type=item.get("party_type"),
                   party_id=uuid.UUID(party_id) if party_id else None)


@strawberry.interface(description="A customer communication or piece of work (R-ACT-1).")
class Activity(Node):
    raw_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]
    created_by_id: strawberry.Private[uuid.UUID]
    modified_by_id: strawberry.Private[uuid.UUID]
    regarding_id: strawberry.Private[uuid.UUID | None]
    party_rows: strawberry.Private[list[dict[str, Any]]]
    type: ActivityType
    subject: str
    description: str | None
    state: ActivityState
    status_reason: str | None
    priority: Priority
    due: datetime | None = strawberry.field(
        description="When it is due; an appointment is due when it starts. Lists sort it last when null."
    )
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    actual_end: datetime | None
    created_on: datetime
    modified_on: datetime
    version: int
    attachment_count: int
    note_count: int

    @strawberry.field(description="True when the activity is about no record: a personal reminder (R-ACT-5).")
    def is_personal(self) -> bool:
        return self.regarding_id is None

    @strawberry.field
    def owner(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.owner_id)

    @strawberry.field
    def created_by(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.created_by_id)

    @strawberry.field
    def modified_by(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.modified_by_id)

    @strawberry.field(description="The record this activity is about (R-ACT-5); null when personal or not readable.")
    def regarding(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.regarding_id)

    @strawberry.field
    def parties(self, roles: list[PartyRole] | None = None) -> list[ActivityParty]:
        wanted = {r.value for r in roles} if roles else None
        return [ActivityParty.from_json(p) for p in self.party_rows if wanted is None or p["role"] in wanted]


@strawberry.type
class Task(Activity):
    pass


@strawberry.type(description="R-CALL-1: who called whom, on which number, which way.")
class PhoneCall(Activity):
    phone_number: str | None
    direction: Direction | None


@strawberry.type(description="R-MAIL-1.")
class Email(Activity):
    body_html: str | None
    message_id: str | None
    in_reply_to: str | None
    categories: list[str]
    send_at: datetime | None
    sent_on: datetime | None = strawberry.field(
        description="When the message was sent — by Relate, or for tracked or imported mail its Date "
                    "header (a received email's too: when its sender sent it). Null until sent. "
                    "Timelines place mail by this time.")


@strawberry.type(description="R-APPT-1.")
class Appointment(Activity):
    location: str | None
    online_meeting_url: str | None


@strawberry.type(description="R-SMS-1.")
class TextMessage(Activity):
    phone_number: str | None
    direction: Direction | None
    from_number: str | None = strawberry.field(
        description="The number that sent it: the other party's (phoneNumber) for an INCOMING message; for "
                    "an OUTGOING one the number chosen (fromNumber), or null when it went from the sender's "
                    "default.")


GRAPHQL_NAMES = {"TASK": "Task", "PHONE_CALL": "PhoneCall", "EMAIL": "Email",
                 "APPOINTMENT": "Appointment", "TEXT_MESSAGE": "TextMessage"}
ACTIVITY_TYPE_NAMES = frozenset(GRAPHQL_NAMES.values())


def _common(row: models.Activity) -> dict[str, Any]:
    return {
        "id": strawberry.ID(to_global_id(GRAPHQL_NAMES[row.type], row.id)), "raw_id": row.id,
        "owner_id": row.owner_id, "created_by_id": row.created_by_id, "modified_by_id": row.modified_by_id,
        "regarding_id": row.regarding_id, "party_rows": row.party_list or [],
        "type": ActivityType(row.type), "subject": row.subject, "description": row.description,
        "state": ActivityState(row.state), "status_reason": row.status_reason,
        "priority": Priority(row.priority), "due": row.due, "scheduled_start": row.scheduled_start,
        "scheduled_end": row.scheduled_end, "actual_end": row.actual_end, "created_on": row.created_on,
        "modified_on": row.modified_on, "version": row.version,
        "attachment_count": row.attachment_count, "note_count": row.note_count,
    }


def activity_node(row: models.Activity) -> Activity:
    """The GraphQL object for an activity row of any type."""
    common = _common(row)
    direction = Direction(row.direction) if row.direction else None
    if row.type == "PHONE_CALL":
        return PhoneCall(**common, phone_number=row.phone_number, direction=direction)
    if row.type == "TEXT_MESSAGE":
        return TextMessage(**common, phone_number=row.phone_number, direction=direction,
                           from_number=sender_number(row.direction, row.phone_number, row.party_list or []))
    if row.type == "EMAIL":
        return Email(**common, body_html=row.body_html, message_id=row.message_id, in_reply_to=row.in_reply_to,
                     categories=list(row.categories or []), send_at=row.send_at, sent_on=row.sent_on)
    if row.type == "APPOINTMENT":
        return Appointment(**common, location=row.location, online_meeting_url=row.online_meeting_url)
    return Task(**common)


ACTIVITY_TYPES: list[type] = [Task, PhoneCall, Email, Appointment, TextMessage]


@strawberry.type
class ActivityTypeCount:
    type: ActivityType
    count: int


@strawberry.type
class ActivityStateCount:
    state: ActivityState
    count: int


@strawberry.type(description="How many activities match a filter, by type and by state (R-VIEW-1).")
class ActivityCounts:
    total: int
    by_type: list[ActivityTypeCount]
    by_state: list[ActivityStateCount]

    @classmethod
    def from_pairs(cls, found: dict[tuple[str, str], int]) -> ActivityCounts:
        by_type: dict[str, int] = {}
        by_state: dict[str, int] = {}
        for (activity_type, state), n in found.items():
            by_type[activity_type] = by_type.get(activity_type, 0) + n
            by_state[state] = by_state.get(state, 0) + n
        return cls(
            total=sum(found.values()),
            by_type=[ActivityTypeCount(type=ActivityType(t), count=n) for t, n in sorted(by_type.items())],
            by_state=[ActivityStateCount(state=ActivityState(s), count=n) for s, n in sorted(by_state.items())],
        )

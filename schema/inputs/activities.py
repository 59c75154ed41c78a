"""Inputs of the activity operations and of the "My activities" list."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.inputs.common import OrderDirection
from schema.types.activities import ActivityState, ActivityType, Direction, PartyRole, Priority

OWNER_HELP = "A user or team; default: you. You need `create` on activities for that owner."
CLIENT_MUTATION_ID_HELP = "Repeat a create safely: the same value returns the first result (R-API-2)."
REGARDING_HELP = "The record this is about (R-ACT-5); omit for a personal one."


@strawberry.input(description="A participant: `partyId` of a user, team, contact, lead or account, "
                              "or a bare `address`.")
class PartyInput:
    role: PartyRole
    party_id: strawberry.ID | None = None
    address: str | None = None


@strawberry.input(description="A participant whose role the field gives: `partyId` of a user, team, contact, "
                              "lead or account, or a bare `address` (email or phone) that matched nobody.")
class ParticipantInput:
    party_id: strawberry.ID | None = None
    address: str | None = None


@strawberry.input
class CreateTaskInput:
    subject: str
    description: str | None = None
    priority: Priority | None = None
    due: datetime | None = None
    regarding_id: strawberry.ID | None = strawberry.field(default=None, description="Omit for a personal task.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A user or team; default: you.")
    parties: list[PartyInput] | None = None
    client_mutation_id: str | None = None


@strawberry.input(description="R-CALL-1: record a call.")
class LogPhoneCallInput:
    subject: str
    description: str | None = None
    from_: ParticipantInput | None = strawberry.field(
        default=None, name="from", description="The caller; default: you for an outgoing call.")
    to: list[ParticipantInput] | None = strawberry.field(
        default=None, description="The person called; default: you for an incoming call.")
    phone_number: str | None = strawberry.field(
        default=None, description="Default: the other person's business phone, else their mobile phone; "
                                  "with neither the call fails with MISSING_CONTACT_POINT.")
    direction: Direction = Direction.OUTGOING
    state: ActivityState | None = strawberry.field(
        default=None, description="A logged call happened, so it is recorded COMPLETED; ask for OPEN to plan a "
                                  "call instead. No other state is accepted.")
    priority: Priority | None = None
    due: datetime | None = None
    regarding_id: strawberry.ID | None = strawberry.field(default=None, description=REGARDING_HELP)
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_HELP)
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Go ahead although the person asked not to be phoned (doNotPhone).")
    client_mutation_id: str | None = strawberry.field(default=None, description=CLIENT_MUTATION_ID_HELP)


@strawberry.input(description="R-MAIL-1: send an email (recorded SENT by the default sender), or schedule it "
                              "with `sendAt` (R-MAIL-2).")
class SendEmailInput:
    subject: str
    body_html: str | None = None
    from_: ParticipantInput | None = strawberry.field(default=None, name="from", description="Default: you.")
    to: list[ParticipantInput] | None = None
    cc: list[ParticipantInput] | None = None
    bcc: list[ParticipantInput] | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    categories: list[str] | None = None
    priority: Priority | None = None
    regarding_id: strawberry.ID | None = strawberry.field(default=None, description=REGARDING_HELP)
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_HELP)
    send_at: datetime | None = strawberry.field(
        default=None, description="R-MAIL-2: send later; the email waits in PENDING_SEND (and shows on timelines) "
                                  "until then.")
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Go ahead although a recipient asked not to get email (doNotEmail).")
    client_mutation_id: str | None = strawberry.field(default=None, description=CLIENT_MUTATION_ID_HELP)


@strawberry.input(description="R-APPT-1: a meeting, SCHEDULED until completed or canceled.")
class CreateAppointmentInput:
    subject: str
    start: datetime
    end: datetime = strawberry.field(description="Not before `start`.")
    description: str | None = None
    location: str | None = None
    online_meeting_url: str | None = None
    organizer: ParticipantInput | None = strawberry.field(default=None, description="Default: you.")
    required_attendees: list[ParticipantInput] | None = None
    optional_attendees: list[ParticipantInput] | None = None
    priority: Priority | None = None
    regarding_id: strawberry.ID | None = strawberry.field(default=None, description=REGARDING_HELP)
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_HELP)
    client_mutation_id: str | None = strawberry.field(default=None, description=CLIENT_MUTATION_ID_HELP)


@strawberry.input(description="R-SMS-1: record a text message as COMPLETED (sent, or received when INCOMING).")
class SendTextMessageInput:
    text: str
    subject: str | None = strawberry.field(default=None, description="Default: the start of the text.")
    from_: ParticipantInput | None = strawberry.field(
        default=None, name="from", description="Default: you for an outgoing message.")
    to: list[ParticipantInput] | None = None
    phone_number: str | None = strawberry.field(
        default=None, description="The other party's number; default: their business phone, else their mobile. "
                                  "With neither the message fails with MISSING_CONTACT_POINT.")
    from_number: str | None = strawberry.field(
        default=None, description="The number an OUTGOING message is sent from (as textFromStep takes it); it "
                                  "is the sender, so not together with `from`. An INCOMING message's sender "
                                  "number is phoneNumber.")
    direction: Direction = Direction.OUTGOING
    regarding_id: strawberry.ID | None = strawberry.field(default=None, description=REGARDING_HELP)
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_HELP)
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Go ahead although the person asked not to get texts (doNotText).")
    client_mutation_id: str | None = strawberry.field(default=None, description=CLIENT_MUTATION_ID_HELP)


@strawberry.input(description="Only the fields given change; null clears an optional field. A closed activity "
                              "is read-only (INVALID_STATE): reopen it first.")
class UpdateActivityInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT if the activity changed since you read it (R-API-1).")
    subject: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    priority: Priority | None = strawberry.UNSET
    due: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Not for appointments: they are due when they start.")
    scheduled_start: datetime | None = strawberry.UNSET
    scheduled_end: datetime | None = strawberry.UNSET
    location: str | None = strawberry.UNSET
    online_meeting_url: str | None = strawberry.UNSET
    phone_number: str | None = strawberry.UNSET
    regarding_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Another record, or null to make the activity personal.")


@strawberry.input(description="A note added to each activity while completing or canceling it (R-NOTE-1).")
class CompletionNoteInput:
    title: str | None = None
    text: str | None = None


@strawberry.input(description="R-ACT-6: one result per id; every allowed one is done.")
class CompleteActivitiesInput:
    ids: list[strawberry.ID]
    note: CompletionNoteInput | None = None


@strawberry.input(description="R-ACT-6: one result per id; every allowed one is done.")
class CancelActivitiesInput:
    ids: list[strawberry.ID]
    note: CompletionNoteInput | None = None


@strawberry.input
class ReopenActivityInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input(description="R-ACT-7: give activities to a user or a team; one result per id.")
class AssignActivitiesInput:
    ids: list[strawberry.ID]
    owner_id: strawberry.ID = strawberry.field(description="A user or a team you may assign activities to.")


@strawberry.enum(description="Whose activities a list shows.")
class ActivityOwnerScope(Enum):
    ME = "ME"
    MY_TEAMS = "MY_TEAMS"
    ANY = "ANY"


@strawberry.enum
class ActivityStateGroup(Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    ALL = "ALL"


@strawberry.input
class ActivityRegardingFilter:
    record_id: strawberry.ID


@strawberry.input(description="Narrow \"My activities\" (R-VIEW-1); every given condition must hold.")
class ActivityFilter:
    owner: ActivityOwnerScope | None = strawberry.field(
        default=None, description="ME (the default), MY_TEAMS (owned by a team you are in) or ANY you may read.")
    owner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Owned by these users or teams; instead of `owner`.")
    types: list[ActivityType] | None = None
    states: list[ActivityState] | None = None
    state_group: ActivityStateGroup | None = strawberry.field(
        default=None, description="OPEN (SCHEDULED, DRAFT, PENDING_SEND too) or CLOSED; default ALL.")
    regarding: ActivityRegardingFilter | None = strawberry.field(
        default=None, description="About this record (directly; roll-up is the timeline's job).")
    regarding_none: bool | None = strawberry.field(
        default=None, description="true: only personal activities, about no record.")
    due_after: datetime | None = strawberry.field(default=None, description="Due at or after this time.")
    due_before: datetime | None = strawberry.field(default=None, description="Due before this time.")


@strawberry.enum
class ActivityOrderField(Enum):
    DUE = "DUE"
    CREATED_ON = "CREATED_ON"
    MODIFIED_ON = "MODIFIED_ON"
    PRIORITY = "PRIORITY"


@strawberry.input(description="Activities with no due date come last in either direction.")
class ActivityOrder:
    field: ActivityOrderField
    direction: OrderDirection = OrderDirection.ASC

"""Inputs of sequences, the work list, step actions and reaching customers (R-SEQ-1, R-WL-*)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.inputs.activities import ActivityOwnerScope, CompletionNoteInput, ParticipantInput
from schema.types.activities import Priority
from schema.types.metadata import RecordType
from schema.types.work_list import StepKind

ITEM_HELP = "The work-list item: its activity's id (`WorkItem.id`)."
ACK_HELP = "Go ahead although the person asked not to be reached this way (doNotPhone/doNotEmail/doNotText)."


@strawberry.input(description="An activity step (kind, subject, instructions) or a WAIT (its length: "
                              "waitDays/Hours/Minutes, more than zero and at most 30 days; not the last step).")
class SequenceStepInput:
    kind: StepKind
    subject: str | None = None
    instructions: str | None = None
    priority: Priority = Priority.NORMAL
    wait_days: int = 0
    wait_hours: int = 0
    wait_minutes: int = 0


@strawberry.input(description="R-SEQ-1: sales managers and administrators only.")
class CreateSequenceInput:
    name: str
    steps: list[SequenceStepInput]
    description: str | None = None


@strawberry.input(description="Connect a sequence to a lead or opportunity: one connected sequence per record. "
                              "The first step's activity is made at once.")
class ConnectSequenceInput:
    sequence_id: strawberry.ID
    record_id: strawberry.ID


@strawberry.input(description="Pause the record's connected sequence.")
class PauseSequenceInput:
    record_id: strawberry.ID


@strawberry.input(description="Resume the record's paused sequence.")
class ResumeSequenceInput:
    record_id: strawberry.ID


@strawberry.input(description="End the record's connected sequence.")
class DisconnectSequenceInput:
    record_id: strawberry.ID




@strawberry.input(description="R-WL-3: complete the item; the next step becomes current.")
class CompleteStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)
    note: CompletionNoteInput | None = None


@strawberry.input(description="R-WL-3: skip the item; the next step takes its place. A manual activity is "
                              "CANCELED.")
class SkipStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)


@strawberry.input(description="R-WL-3: the step is due later. A manual activity cannot be snoozed.")
class SnoozeStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)
    until: datetime = strawberry.field(description="The new due time, in the future.")


@strawberry.input(description="R-WL-3: give the item to a user or a team.")
class AssignStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)
    owner_id: strawberry.ID


@strawberry.input(description="R-CALL-1 from an item: the person is the record's (a lead, an opportunity's "
                              "customer contact) unless `to` says otherwise.")
class CallFromStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)
    to: ParticipantInput | None = None
    phone_number: str | None = strawberry.field(
        default=None, description="Default: the person's business phone, else mobile; with neither the call "
                                  "fails with MISSING_CONTACT_POINT.")
    acknowledge_warnings: bool = strawberry.field(default=False, description=ACK_HELP)


@strawberry.input(description="R-MAIL-1 from an item: to the record's person unless `to` says otherwise; now, "
                              "or at `sendAt` (R-MAIL-2). Sending the step's own email completes the step.")
class EmailFromStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)
    subject: str | None = strawberry.field(default=None, description="Default: the item's subject.")
    body_html: str | None = None
    to: list[ParticipantInput] | None = None
    cc: list[ParticipantInput] | None = None
    send_at: datetime | None = strawberry.field(default=None, description="Schedule the email (PENDING_SEND).")
    acknowledge_warnings: bool = strawberry.field(default=False, description=ACK_HELP)


@strawberry.input(description="R-SMS-1 from an item: needs a number for the recipient (business before mobile "
                              "when chosen for you). Sending the step's own text completes the step.")
class TextFromStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)
    text: str
    to: ParticipantInput | None = None
    phone_number: str | None = strawberry.field(default=None, description="The number sent to.")
    from_number: str | None = strawberry.field(default=None, description="The number sent from; default: you.")
    acknowledge_warnings: bool = strawberry.field(default=False, description=ACK_HELP)


@strawberry.input(description="Open the item's meeting (its link, time and attendees).")
class JoinMeetingFromStepInput:
    id: strawberry.ID = strawberry.field(description=ITEM_HELP)


@strawberry.input(description="R-SMS-1: a reply that came in, recorded on the conversation with that number.")
class ReceiveTextMessageInput:
    from_number: str
    text: str


@strawberry.input(description="Narrow the work list (R-WL-1); every given condition must hold.")
class WorkListFilter:
    owner: ActivityOwnerScope | None = strawberry.field(
        default=None, description="ME (the default), MY_TEAMS (yours and your teams'), or ANY you may read.")
    kinds: list[StepKind] | None = None
    due_after: datetime | None = strawberry.field(default=None, description="Due at or after this time.")
    due_before: datetime | None = strawberry.field(default=None, description="Due before this time.")
    record_types: list[RecordType] | None = None

"""Payloads of the sequence, step-action and reaching-customers mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.activities import Activity, TextMessage
from schema.types.work_list import Sequence, UpNext, WorkItem


@strawberry.type
class SequencePayload:
    errors: list[UserError]
    sequence: Sequence | None = None


@strawberry.type(description="The record's up next after connecting, pausing, resuming or disconnecting.")
class SequenceRunPayload:
    errors: list[UserError]
    up_next: UpNext | None = None


@strawberry.type(description="The item acted on, the step that became current (if one did), and the record's "
                             "up next.")
class StepPayload:
    errors: list[UserError]
    step: WorkItem | None = None
    next: WorkItem | None = None
    up_next: UpNext | None = None


@strawberry.type(description="The activity made or filled in to reach the customer, with the item and up next.")
class StepActivityPayload:
    errors: list[UserError]
    activity: Activity | None = None
    step: WorkItem | None = None
    next: WorkItem | None = None
    up_next: UpNext | None = None


@strawberry.type
class ReceiveTextMessagePayload:
    errors: list[UserError]
    text_message: TextMessage | None = None
    in_reply_to: TextMessage | None = strawberry.field(
        default=None, description="The message of the conversation this answers; null when none was found.")

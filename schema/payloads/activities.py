"""Payloads of the activity mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.activities import Activity, Appointment, Email, PhoneCall, Task, TextMessage


@strawberry.type
class TaskPayload:
    errors: list[UserError]
    task: Task | None = None


@strawberry.type
class PhoneCallPayload:
    errors: list[UserError]
    phone_call: PhoneCall | None = None


@strawberry.type
class EmailPayload:
    errors: list[UserError]
    email: Email | None = None


@strawberry.type
class AppointmentPayload:
    errors: list[UserError]
    appointment: Appointment | None = None


@strawberry.type
class TextMessagePayload:
    errors: list[UserError]
    text_message: TextMessage | None = None


@strawberry.type
class ActivityPayload:
    errors: list[UserError]
    activity: Activity | None = None


@strawberry.type(description="What happened to one id of a bulk call.")
class BulkActivityResult:
    id: strawberry.ID = strawberry.field(description="The id as you sent it.")
    ok: bool
    activity: Activity | None = strawberry.field(
        default=None, description="The activity as it is now; null when it does not exist or you may not read it.")
    error: UserError | None = strawberry.field(default=None, description="Why not, when `ok` is false.")


@strawberry.type(description="`results` has one entry per distinct id, in the order sent; `errors` is for the "
                             "request as a whole (nothing was done).")
class BulkActivityPayload:
    errors: list[UserError]
    results: list[BulkActivityResult] = strawberry.field(default_factory=list)

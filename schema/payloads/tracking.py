"""Payloads of the tracking mutations (R-TRACK-*): the item, what happened, and the files."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.activities import Activity, Appointment, Email
from schema.types.notes import Attachment
from schema.types.tracking import RefusedAttachment, TrackOutcome


@strawberry.interface(description="What a track call did with the item and its attachments.")
class TrackResult:
    outcome: TrackOutcome | None = None
    auto_linked: bool = strawberry.field(
        default=False,
        description="The regarding record was taken from the tracked email this one replies to (R-TRACK-5).")
    saved_attachments: list[Attachment] = strawberry.field(default_factory=list)
    refused_attachments: list[RefusedAttachment] = strawberry.field(default_factory=list)
    skipped_inline_attachments: list[str] = strawberry.field(
        default_factory=list, description="Names of inline images, which are not saved (R-TRACK-4).")

    @strawberry.field(description="True when the item had been saved before (R-TRACK-2).")
    def already_tracked(self) -> bool:
        return self.outcome == TrackOutcome.ALREADY_TRACKED


@strawberry.type
class TrackEmailPayload(TrackResult):
    errors: list[UserError] = strawberry.field(default_factory=list)
    email: Email | None = strawberry.field(
        default=None, description="The saved email; null if nothing was saved or it is not yours to read.")


@strawberry.type
class TrackAppointmentPayload(TrackResult):
    errors: list[UserError] = strawberry.field(default_factory=list)
    appointment: Appointment | None = None


@strawberry.type(description="One item of an imported file.")
class ImportedMailItem(TrackResult):
    activity: Activity | None = None


@strawberry.type
class ImportMailPayload:
    errors: list[UserError]
    items: list[ImportedMailItem] = strawberry.field(default_factory=list)


@strawberry.type
class TrackedActivityPayload:
    errors: list[UserError]
    activity: Activity | None = None


@strawberry.type
class DeleteTrackedActivityPayload:
    errors: list[UserError]
    deleted_activity_id: strawberry.ID | None = None

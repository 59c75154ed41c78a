"""Inputs of the tracking operations (R-TRACK-*): what a mail-client add-in sends."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload


@strawberry.input(
    description="An attachment the user chose to save (R-TRACK-4): the bytes either as `file` (a GraphQL "
                "multipart upload) or as `contentBase64` (what mail-client add-in APIs hand out)."
)
class TrackAttachmentInput:
    file_name: str
    content_base64: str | None = None
    file: Upload | None = None
    is_inline: bool = strawberry.field(
        default=False, description="An image shown inside the body (signature, pasted picture): not saved."
    )


@strawberry.input(description="An email as the mail client has it (R-TRACK-1). Addresses may be "
                              "`name <address>` or bare.")
class TrackEmailInput:
    message_id: str = strawberry.field(
        description="The Internet Message-ID; the same one is saved only once (R-TRACK-2).")
    subject: str | None = None
    body_html: str | None = None
    sender: str | None = strawberry.field(default=None, name="from")
    to: list[str] | None = None
    cc: list[str] | None = None
    bcc: list[str] | None = None
    sent_on: datetime | None = strawberry.field(default=None, description="When it was sent; default: now.")
    in_reply_to: str | None = strawberry.field(
        default=None,
        description="A reply to a tracked email is linked like it when no regardingId is given (R-TRACK-5).")
    categories: list[str] | None = None
    is_draft: bool = strawberry.field(
        default=False, description="Drafts are refused until sent (R-TRACK-3).")
    regarding_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The record to link; omit to save without a link (the contacts' timelines still show it).")
    attachments: list[TrackAttachmentInput] | None = None
    only_replies: bool = strawberry.field(
        default=False,
        description="For a mailbox sync offering every message: save it only if it answers a tracked email "
                    "(R-TRACK-5); otherwise nothing is saved and the outcome is NOT_TRACKED.",
    )


@strawberry.input(description="A meeting as the mail client has it (R-TRACK-3).")
class TrackAppointmentInput:
    ical_uid: str = strawberry.field(description="The iCalendar UID; saving the same one again updates the meeting.")
    subject: str | None = None
    description: str | None = None
    organizer: str | None = None
    required_attendees: list[str] | None = None
    optional_attendees: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    online_meeting_url: str | None = None
    is_recurring: bool = strawberry.field(default=False, description="Recurring meetings are not supported.")
    regarding_id: strawberry.ID | None = strawberry.field(
        default=None, description="The record to link; on a later save, omit to keep the current link.")
    attachments: list[TrackAttachmentInput] | None = None


@strawberry.input(description="R-TRACK-6. Fields left out are kept; `regardingId: null` unlinks.")
class UpdateTrackedActivityInput:
    id: strawberry.ID
    regarding_id: strawberry.ID | None = strawberry.UNSET
    categories: list[str] | None = strawberry.field(default=None, description="Emails only; replaces the list.")
    related_contact_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The contacts whose timelines show the item; replaces the list. A contact taken off keeps "
                    "its address as a plain party; one added who was not on the message is recorded as a CC "
                    "(email) or optional attendee (meeting).",
    )
    expected_version: int | None = None


@strawberry.input
class DeleteTrackedActivityInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input(
    description="A message file: `.eml` (an email) or `.ics` (meetings), as a GraphQL multipart upload with the "
                "header `Apollo-Require-Preflight: true`. Saved exactly as `trackEmail`/`trackAppointment` would."
)
class ImportMailInput:
    file: Upload
    regarding_id: strawberry.ID | None = None
    only_replies: bool = strawberry.field(default=False, description="Emails: as in trackEmail (R-TRACK-5).")

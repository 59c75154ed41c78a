"""Payloads of the note and attachment mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.activities import Activity
from schema.types.notes import Attachment, AttachmentPolicy, Note


@strawberry.type
class NotePayload:
    errors: list[UserError]
    note: Note | None = None


@strawberry.type
class DeleteNotePayload:
    errors: list[UserError]
    deleted_note_id: strawberry.ID | None = None


@strawberry.type(description="The attachment and its owner (one of `note` and `activity`), with the new count.")
class AttachmentPayload:
    errors: list[UserError]
    attachment: Attachment | None = None
    note: Note | None = None
    activity: Activity | None = None


@strawberry.type
class RemoveAttachmentPayload:
    errors: list[UserError]
    removed_attachment_id: strawberry.ID | None = None
    note: Note | None = None
    activity: Activity | None = None


@strawberry.type
class AttachmentPolicyPayload:
    errors: list[UserError]
    policy: AttachmentPolicy | None = None

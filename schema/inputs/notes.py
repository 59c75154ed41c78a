"""Inputs of the note and attachment operations."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload


@strawberry.input(description="A note on a record (`recordId`) or on an activity (`activityId`): exactly one.")
class AddNoteInput:
    record_id: strawberry.ID | None = None
    activity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Open or closed: a closed activity still takes notes (R-ACT-3)."
    )
    title: str | None = None
    text: str | None = None
    client_mutation_id: str | None = None


@strawberry.input(description="Fields left out are kept.")
class UpdateNoteInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    text: str | None = strawberry.UNSET
    expected_version: int | None = None


@strawberry.input
class DeleteNoteInput:
    id: strawberry.ID
    expected_version: int | None = None


@strawberry.input(
    description="A file for a note (`noteId`) or a task, email or appointment (`activityId`). Send it as a "
                "GraphQL multipart request with the header `Apollo-Require-Preflight: true`."
)
class AddAttachmentInput:
    file: Upload
    note_id: strawberry.ID | None = None
    activity_id: strawberry.ID | None = None


@strawberry.input
class RemoveAttachmentInput:
    id: strawberry.ID


@strawberry.input(description="Fields left out are kept.")
class SetAttachmentPolicyInput:
    max_bytes: int | None = strawberry.field(default=None, description="The largest file, in bytes.")
    blocked_extensions: list[str] | None = strawberry.field(
        default=None, description="The complete list of refused extensions (with or without the dot); "
                                  "replaces the current list.",
    )

"""Notes and attachments (R-NOTE-1, R-ATT-1) as clients see them.

Built from a row in one pass; owner, creator, attachments and what the note is about come
from loaders (already loaded when a page prefetched them).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from graph import models
from resolvers.context import Info, now_or_later
from resolvers.ids import to_global_id
from schema.types.node import Node
from schema.types.principals import Principal


def download_path(attachment_id: uuid.UUID) -> str:
    """Where the bytes are served (`GET` with `Authorization: Bearer`)."""
    return f"/files/{to_global_id('Attachment', attachment_id)}"


@strawberry.type(description="A file on a note, task, email or appointment (R-ATT-1). Its bytes are "
                             "downloaded from `downloadUrl` with the same bearer token.")
class Attachment(Node):
    raw_id: strawberry.Private[uuid.UUID]
    created_by_id: strawberry.Private[uuid.UUID]
    file_name: str
    content_type: str = strawberry.field(description="What the bytes are, sniffed by the server; "
                                                     "the client's claim is ignored.")
    size: int = strawberry.field(description="In bytes.")
    sha256: str = strawberry.field(description="Hex SHA-256 of the bytes.")
    created_on: datetime

    @strawberry.field
    def created_by(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.created_by_id)

    @strawberry.field(description="Path of the download, relative to the API's origin: `/files/<id>`.")
    def download_url(self) -> str:
        return download_path(self.raw_id)

    @classmethod
    def from_row(cls, row: models.Attachment) -> Attachment:
        return cls(id=strawberry.ID(to_global_id("Attachment", row.id)), raw_id=row.id,
                   created_by_id=row.created_by_id, file_name=row.file_name,
                   content_type=row.content_type, size=row.size, sha256=row.sha256,
                   created_on=row.created_on)


@strawberry.type(description="A note on a record or an activity (R-NOTE-1); shows on timelines beside activities.")
class Note(Node):
    raw_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]
    created_by_id: strawberry.Private[uuid.UUID]
    modified_by_id: strawberry.Private[uuid.UUID]
    record_id: strawberry.Private[uuid.UUID | None]
    activity_id: strawberry.Private[uuid.UUID | None]
    title: str | None
    text: str | None
    created_on: datetime
    modified_on: datetime
    version: int
    attachment_count: int

    @strawberry.field
    def owner(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.owner_id)

    @strawberry.field
    def created_by(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.created_by_id)

    @strawberry.field
    def modified_by(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.modified_by_id)

    @strawberry.field(description="The files on this note, oldest first.")
    def attachments(self, info: Info) -> list[Attachment]:
        if self.attachment_count == 0:
            return []
        return now_or_later(info.context.loaders.attachments_by_owner, self.raw_id)

    @strawberry.field(description="The record or activity the note is attached to; null if you may not read it.")
    def about(self, info: Info) -> Node | None:
        loaders = info.context.loaders
        if self.activity_id is not None:
            return now_or_later(loaders.activity_by_id, self.activity_id)
        return now_or_later(loaders.record_by_id, self.record_id)


def note_node(row: models.Note) -> Note:
    return Note(
        id=strawberry.ID(to_global_id("Note", row.id)), raw_id=row.id, owner_id=row.owner_id,
        created_by_id=row.created_by_id, modified_by_id=row.modified_by_id, record_id=row.record_id,
        activity_id=row.activity_id, title=row.title, text=row.text, created_on=row.created_on,
        modified_on=row.modified_on, version=row.version, attachment_count=row.attachment_count,
    )


@strawberry.type(description="What an administrator allows as attachments (R-ATT-1).")
class AttachmentPolicy:
    max_bytes: int = strawberry.field(description="The largest file accepted, in bytes.")
    blocked_extensions: list[str] = strawberry.field(description="Refused file types, lower case, without the dot.")

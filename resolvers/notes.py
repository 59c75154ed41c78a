"""Root operations for notes, attachments and the attachment policy: arguments in, graph
calls, schema objects out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import attachments as attachment_commands
from graph.commands import notes as commands
from graph.files import CHUNK, FileStore
from graph.models import Activity as ActivityRow
from graph.models import Note as NoteRow
from graph.queries import notes as queries
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.ids import decode_id, to_global_id
from resolvers.inputs import decode_optional, given
from resolvers.mutation_runner import run_mutation
from resolvers.nodes import register_node_type
from schema.inputs import notes as inputs
from schema.payloads import notes as payloads
from schema.types.activities import ACTIVITY_TYPE_NAMES, activity_node
from schema.types.notes import Attachment, AttachmentPolicy, Note, note_node

RECORD_TYPE_NAMES = {"Account", "Contact", "Lead", "Opportunity", "Case"}


def file_store(info: Info) -> FileStore:
    return FileStore(info.context.settings.file_store_dir)


def require_upload(value: Any, field: tuple[str, ...]) -> Any:
    """An Upload variable can be given any JSON value; only a multipart file part can be read."""
    if not callable(getattr(value, "read", None)):
        raise DomainError(ErrorCode.VALIDATION, "send the file as a GraphQL multipart request "
                                                "(the upload spec), not as a JSON value", field)
    return value


async def upload_chunks(upload: Any) -> AsyncIterator[bytes]:
    """The uploaded file in chunks; the transport already spooled it, we never hold it whole."""
    while chunk := await upload.read(CHUNK):
        yield chunk


def _owner_fields(owner: Any) -> dict[str, Any]:
    if isinstance(owner, ActivityRow):
        return {"activity": activity_node(owner)}
    return {"note": note_node(owner)}


async def add_note(info: Info, input: inputs.AddNoteInput) -> payloads.NotePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        record_id = decode_optional(input.record_id, RECORD_TYPE_NAMES, ("input", "recordId"))
        activity_id = decode_optional(input.activity_id, ACTIVITY_TYPE_NAMES, ("input", "activityId"))
        row = await commands.add_note(session, scope, {"title": input.title, "text": input.text}, now,
                                      record_id=record_id, activity_id=activity_id,
                                      client_mutation_id=input.client_mutation_id)
        return {"note": note_node(row)}
    return await run_mutation(info, payloads.NotePayload, work)


async def update_note(info: Info, input: inputs.UpdateNoteInput) -> payloads.NotePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        note_id = decode_id(input.id, {"Note"}, ("input", "id"))
        values = given(input, skip=("id", "expected_version"))
        row = await commands.update_note(session, scope, note_id, values, now,
                                         expected_version=input.expected_version)
        return {"note": note_node(row)}
    return await run_mutation(info, payloads.NotePayload, work)


async def delete_note(info: Info, input: inputs.DeleteNoteInput) -> payloads.DeleteNotePayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        note_id = decode_id(input.id, {"Note"}, ("input", "id"))
        deleted = await commands.delete_note(session, scope, file_store(info), note_id, now,
                                             expected_version=input.expected_version)
        return {"deleted_note_id": strawberry.ID(to_global_id("Note", deleted))}
    return await run_mutation(info, payloads.DeleteNotePayload, work)


async def add_attachment(info: Info, input: inputs.AddAttachmentInput) -> payloads.AttachmentPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        note_id = decode_optional(input.note_id, {"Note"}, ("input", "noteId"))
        activity_id = decode_optional(input.activity_id, ACTIVITY_TYPE_NAMES, ("input", "activityId"))
        if not callable(getattr(input.file, "read", None)):
            raise DomainError(ErrorCode.VALIDATION, "send the file as a GraphQL multipart request "
                                                    "(the upload spec), not as a JSON value", ("input", "file"))
        incoming = attachment_commands.IncomingFile(getattr(input.file, "filename", None),
                                                    upload_chunks(input.file))
        row, owner = await attachment_commands.add_attachment(
            session, scope, file_store(info), incoming, now, note_id=note_id, activity_id=activity_id)
        return {"attachment": Attachment.from_row(row), **_owner_fields(owner)}
    return await run_mutation(info, payloads.AttachmentPayload, work)


async def remove_attachment(info: Info, input: inputs.RemoveAttachmentInput) -> payloads.RemoveAttachmentPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        attachment_id = decode_id(input.id, {"Attachment"}, ("input", "id"))
        removed, owner = await attachment_commands.remove_attachment(
            session, scope, file_store(info), attachment_id, now)
        return {"removed_attachment_id": strawberry.ID(to_global_id("Attachment", removed)), **_owner_fields(owner)}
    return await run_mutation(info, payloads.RemoveAttachmentPayload, work)


NOTE_PRINCIPALS = {"owner": "owner_id", "createdBy": "created_by_id", "modifiedBy": "modified_by_id"}


async def prefetch_note_related(info: Info, rows: Sequence[NoteRow], selected: dict[str, Any]) -> None:
    """One batch per kind of related row a page of notes asked for (DESIGN §2, step 4):
    owners and creators, attachments (only of notes that have some), what each is about."""
    loaders = info.context.loaders
    waits = []
    principal_ids = {getattr(r, col) for f, col in NOTE_PRINCIPALS.items() if f in selected for r in rows}
    if principal_ids:
        waits.append(loaders.principal_by_id.load_many(list(principal_ids)))
    if "attachments" in selected:
        owners = [r.id for r in rows if r.attachment_count]
        if owners:
            waits.append(loaders.attachments_by_owner.load_many(owners))
    if "about" in selected:
        record_ids = list({r.record_id for r in rows if r.record_id is not None})
        activity_ids = list({r.activity_id for r in rows if r.activity_id is not None})
        if record_ids:
            waits.append(loaders.record_by_id.load_many(record_ids))
        if activity_ids:
            waits.append(loaders.activity_by_id.load_many(activity_ids))
    if waits:
        await asyncio.gather(*waits)


def _policy(value: Any) -> AttachmentPolicy:
    return AttachmentPolicy(max_bytes=value.max_bytes, blocked_extensions=sorted(value.blocked_extensions))


async def set_attachment_policy(info: Info, input: inputs.SetAttachmentPolicyInput) -> payloads.AttachmentPolicyPayload:
    async def work(session: AsyncSession, scope: Scope, now: datetime) -> dict[str, Any]:
        changed = await attachment_commands.set_attachment_policy(
            session, scope, input.max_bytes, input.blocked_extensions)
        return {"policy": _policy(changed)}
    return await run_mutation(info, payloads.AttachmentPolicyPayload, work)


async def attachment_policy(info: Info) -> AttachmentPolicy:
    info.context.scope  # authenticate
    async with info.context.db.read() as session:
        return _policy(await queries.attachment_policy(session))


async def _note_node(info: Info, raw_id: Any) -> Note | None:
    return await info.context.loaders.note_by_id.load(raw_id)


async def _attachment_node(info: Info, raw_id: Any) -> Attachment | None:
    async with info.context.db.read() as session:
        row = await queries.readable_attachment(session, info.context.scope, raw_id)
    return Attachment.from_row(row) if row is not None else None


register_node_type("Note", _note_node)
register_node_type("Attachment", _attachment_node)

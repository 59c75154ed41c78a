"""Use cases for attachments (R-ATT-1): add a file to a note or an activity, remove it,
and change the organisation's attachment policy.

`store_attachment` is the policy-checked core with no permission checks of its own: the
mail tracker (R-TRACK-4) calls it for each chosen attachment of an email it just saved,
catching the DomainError of a refused file to report it and keep the email.
Order matters for "nothing stored on refusal": the name is checked before a byte is read;
the bytes are staged to a temporary file with the size cap enforced while streaming; the
content is judged from the staged bytes; only then does the file get its final name, and
the rename is undone if the transaction rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.common import require_active
from graph.commands.notes import note_for
from graph.files import FileStore, SizeCapExceeded
from graph.models import Activity, Attachment, Note, OrgSettings, Record
from graph.rules import activity_states
from graph.rules import attachments as policy_rules
from graph.rules.access import Scope
from graph.rules.attachments import AttachmentPolicy
from graph.rules.errors import DomainError, ErrorCode, not_found


@dataclass
class IncomingFile:
    """A file as it arrives: the name the client gave and its bytes as a stream."""

    file_name: str | None
    chunks: AsyncIterator[bytes]


async def load_policy(session: AsyncSession) -> AttachmentPolicy:
    row = await session.get(OrgSettings, 1)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "the organisation is not set up; run `relate migrate`")
    return AttachmentPolicy(row.attachment_max_bytes, frozenset(row.attachment_blocked_extensions or ()))


async def store_attachment(
    session: AsyncSession, store: FileStore, policy: AttachmentPolicy, owner: Note | Activity,
    incoming: IncomingFile, actor_id: uuid.UUID, now: datetime,
) -> Attachment:
    """Check, stream, sniff and save one file on `owner`; count it there. No permission checks."""
    file_name = policy_rules.clean_file_name(incoming.file_name)
    policy_rules.check_file_name(policy, file_name)
    try:
        staged = await store.stage(incoming.chunks, policy.max_bytes)
    except SizeCapExceeded:
        raise policy_rules.too_large(policy.max_bytes) from None
    try:
        policy_rules.check_content(staged.head)
        zip_names = await store.zip_names(staged) if policy_rules.is_zip(staged.head) else None
        content_type = policy_rules.sniff_content_type(
            staged.head, file_name, complete=staged.complete_head, zip_names=zip_names)
    except BaseException:
        await store.discard(staged)
        raise
    attachment_id = uuid.uuid4()
    key = store.key_for(attachment_id)
    row = Attachment(
        id=attachment_id, file_name=file_name, content_type=content_type, size=staged.size,
        sha256=staged.sha256, storage_key=key, created_on=now, created_by_id=actor_id,
        note_id=owner.id if isinstance(owner, Note) else None,
        activity_id=owner.id if isinstance(owner, Activity) else None,
    )
    await store.publish(session, staged, key)
    session.add(row)
    owner.attachment_count = (owner.attachment_count or 0) + 1
    await session.flush()
    return row


def require_attachable(activity: Activity, field: tuple[str, ...]) -> None:
    """Files go on tasks, emails and appointments that are still open (R-ATT-1, R-ACT-3)."""
    if activity.type not in policy_rules.ATTACHABLE_ACTIVITY_TYPES:
        kind = activity.type.lower().replace("_", " ")
        raise DomainError(ErrorCode.NOT_SUPPORTED, f"a {kind} cannot carry attachments; add a note with the file", field)
    if not activity_states.is_open(activity.state):
        raise DomainError(ErrorCode.INVALID_STATE,
                          f"the activity is {activity.state.lower()} and read-only; add a note with the file", field)


async def attachment_owner(session: AsyncSession, scope: Scope, *, note_id: uuid.UUID | None,
                           activity_id: uuid.UUID | None, action: str) -> Note | Activity:
    """The note (which the viewer may change) or activity (which takes files) to attach to."""
    if (note_id is None) == (activity_id is None):
        raise DomainError(ErrorCode.VALIDATION, "give exactly one of noteId and activityId", ("input",))
    if note_id is not None:
        return await note_for(session, scope, note_id, "write", ("input", "noteId"))
    assert activity_id is not None
    field = ("input", "activityId")
    activity = await session.get(Activity, activity_id, with_for_update=True)
    if activity is None or not scope.can("read", "activity", activity):
        raise not_found("activity", field)
    try:
        scope.require(action, "activity", activity, "activity")
    except DomainError as error:
        raise DomainError(error.code, error.problems[0].message, field) from None
    require_attachable(activity, field)
    return activity


async def add_attachment(
    session: AsyncSession, scope: Scope, store: FileStore, incoming: IncomingFile, now: datetime, *,
    note_id: uuid.UUID | None = None, activity_id: uuid.UUID | None = None,
) -> tuple[Attachment, Note | Activity]:
    owner = await attachment_owner(session, scope, note_id=note_id, activity_id=activity_id, action="append_to")
    attachment = await store_attachment(session, store, await load_policy(session), owner, incoming,
                                        scope.user_id, now)
    await timeline_index.sync(session, [owner.id], now, scope.user_id)
    return attachment, owner


async def remove_attachment(
    session: AsyncSession, scope: Scope, store: FileStore, attachment_id: uuid.UUID, now: datetime,
) -> tuple[uuid.UUID, Note | Activity]:
    """Whoever may change the owner, or added the file, may remove it; the bytes go after commit."""
    field = ("input", "id")
    attachment = await session.get(Attachment, attachment_id, with_for_update=True)
    if attachment is None:
        raise not_found("attachment", field)
    owner: Note | Activity
    if attachment.note_id is not None:
        note = await session.get(Note, attachment.note_id, with_for_update=True)
        if note is None or not scope.can("read", "note", note):
            raise not_found("attachment", field)
        if attachment.created_by_id != scope.user_id:
            scope.require("write", "note", note, "note")
        if note.record_id is not None:
            record = await session.get(Record, note.record_id)
            if record is not None:
                await require_active(session, record)
        owner = note
    else:
        activity = await session.get(Activity, attachment.activity_id, with_for_update=True)
        if activity is None or not scope.can("read", "activity", activity):
            raise not_found("attachment", field)
        if attachment.created_by_id != scope.user_id:
            scope.require("write", "activity", activity, "activity")
        require_attachable(activity, field)
        owner = activity
    store.delete_after_commit(session, attachment.storage_key)
    await session.delete(attachment)
    owner.attachment_count = max((owner.attachment_count or 0) - 1, 0)
    await session.flush()
    await timeline_index.sync(session, [owner.id], now, scope.user_id)
    return attachment_id, owner


async def set_attachment_policy(
    session: AsyncSession, scope: Scope, max_bytes: int | None, blocked_extensions: list[str] | None,
) -> AttachmentPolicy:
    """Administrators only; applies to the next upload (files already stored are kept)."""
    scope.require_configuration()
    row = await session.get(OrgSettings, 1, with_for_update=True)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "the organisation is not set up; run `relate migrate`")
    current = AttachmentPolicy(row.attachment_max_bytes, frozenset(row.attachment_blocked_extensions or ()))
    changed = policy_rules.normalise_policy(max_bytes, blocked_extensions, current)
    row.attachment_max_bytes = changed.max_bytes
    row.attachment_blocked_extensions = sorted(changed.blocked_extensions)
    await session.flush()
    return changed

"""Reading notes and attachments within the viewer's read scope.

A note is readable by its own ownership (the `note` privilege), like the timeline index
that copies its owner. An attachment is readable exactly when what it hangs on is: the
scope predicate of the note or activity goes into the WHERE clause, so a download, a
`node(id)` and a loader batch all give the same answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Activity, Attachment, Note, OrgSettings
from graph.queries.activities import readable_activities
from graph.queries.sharing import on_a_shared_timeline
from graph.rules.access import Scope
from graph.rules.attachments import AttachmentPolicy


def readable_notes(scope: Scope) -> ColumnElement[bool]:
    """By the viewer's roles, or on the timeline of a record shared with them (R-ADM-6)."""
    if scope.reads_everything("note"):
        return true()
    return or_(scope.read_filter("note", Note.owner_id, Note.owning_business_unit_id),
               on_a_shared_timeline(scope, Note.id))


async def notes_by_id(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Note]:
    rows = await session.scalars(select(Note).where(Note.id.in_(list(ids)), readable_notes(scope)))
    return {n.id: n for n in rows}


async def notes_by_activity(session: AsyncSession, scope: Scope,
                            activity_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Note]]:
    """Readable notes of each activity, newest first. One statement for the batch."""
    rows = await session.scalars(
        select(Note).where(Note.activity_id.in_(list(activity_ids)), readable_notes(scope))
        .order_by(Note.created_on.desc(), Note.id)
    )
    found: dict[uuid.UUID, list[Note]] = {}
    for note in rows:
        assert note.activity_id is not None
        found.setdefault(note.activity_id, []).append(note)
    return found


async def attachments_by_owner(session: AsyncSession, owner_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Attachment]]:
    """Attachments of notes or activities the caller has already read, oldest first.

    Note and activity ids are UUIDs from one space, so one key serves both owners.
    """
    ids = list(owner_ids)
    rows = await session.scalars(
        select(Attachment).where(or_(Attachment.note_id.in_(ids), Attachment.activity_id.in_(ids)))
        .order_by(Attachment.created_on, Attachment.id)
    )
    found: dict[uuid.UUID, list[Attachment]] = {}
    for row in rows:
        owner = row.note_id or row.activity_id
        assert owner is not None
        found.setdefault(owner, []).append(row)
    return found


def readable_attachments(scope: Scope) -> ColumnElement[bool]:
    """Attachments whose note or activity the viewer may read (use with the outer joins below)."""
    return or_(
        and_(Attachment.note_id.is_not(None), Note.id.is_not(None), readable_notes(scope)),
        and_(Attachment.activity_id.is_not(None), Activity.id.is_not(None), readable_activities(scope)),
    )


async def attachments_by_id(session: AsyncSession, scope: Scope,
                            ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Attachment]:
    rows = await session.scalars(
        select(Attachment)
        .outerjoin(Note, Note.id == Attachment.note_id)
        .outerjoin(Activity, Activity.id == Attachment.activity_id)
        .where(Attachment.id.in_(list(ids)), readable_attachments(scope))
    )
    return {a.id: a for a in rows}


async def readable_attachment(session: AsyncSession, scope: Scope, attachment_id: uuid.UUID) -> Attachment | None:
    return (await attachments_by_id(session, scope, [attachment_id])).get(attachment_id)


async def attachment_policy(session: AsyncSession) -> AttachmentPolicy:
    row = await session.get(OrgSettings, 1)
    if row is None:
        return AttachmentPolicy(0, frozenset())
    return AttachmentPolicy(row.attachment_max_bytes, frozenset(row.attachment_blocked_extensions or ()))

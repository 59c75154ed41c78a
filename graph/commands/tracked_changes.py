"""Changing and deleting a tracked email or meeting (R-TRACK-6).

After saving, the user may relink the item, change its categories and say which contacts
it concerns; a tracked item can also be deleted from Relate. Every change re-syncs the
timeline index, so the timelines of contacts taken off or added follow at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.activities import PartyRef, regarding_type
from graph.commands.common import any_record
from graph.commands.stamps import check_version, stamp_change
from graph.commands.tracking import replace_parties
from graph.files import FileStore
from graph.models import Activity, ActivityParty, Attachment, Note
from graph.rules import activities as fields
from graph.rules import tracking as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem, not_found


class _Keep:
    """Marks "leave the regarding record as it is" (None means: unlink)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


async def tracked_activity(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, action: str) -> Activity:
    """A tracked activity, locked, which the viewer may `action`; NOT_FOUND hides the rest."""
    field = ("input", "id")
    row = await session.get(Activity, activity_id, with_for_update=True)
    if row is None or row.deleted_on is not None or not scope.can("read", "activity", row):
        raise not_found("activity", field)
    if not row.is_tracked:
        raise DomainError(ErrorCode.INVALID_STATE,
                          "this activity was not saved from a mail client; change it with the activity mutations",
                          field)
    try:
        scope.require(action, "activity", row, "activity")
    except DomainError as error:
        raise DomainError(error.code, error.problems[0].message, field) from None
    return row


async def update_tracked_activity(
    session: AsyncSession, scope: Scope, activity_id: uuid.UUID, now: datetime, *,
    regarding_id: uuid.UUID | None | _Keep = KEEP, categories: Sequence[str] | None = None,
    related_contact_ids: Sequence[uuid.UUID] | None = None, expected_version: int | None = None,
) -> Activity:
    """Relink (or unlink), recategorise, and set the related contacts; all or nothing."""
    row = await tracked_activity(session, scope, activity_id, "write")
    check_version(row, expected_version)
    if not isinstance(regarding_id, _Keep) and regarding_id != row.regarding_id:
        row.regarding_type = await regarding_type(session, scope, regarding_id)
        row.regarding_id = regarding_id
    if categories is not None:
        if row.type != "EMAIL":
            raise DomainError(ErrorCode.VALIDATION, "only emails have categories", ("input", "categories"))
        row.categories = fields.clean_categories(categories)
    if related_contact_ids is not None:
        wanted = await _contacts(session, scope, related_contact_ids)
        parties = rules.relate_contacts(row.party_list or [], wanted, rules.added_contact_role(row.type))
        await replace_parties(session, row, [
            PartyRef(p["role"], p.get("party_type"), uuid.UUID(p["party_id"]) if p.get("party_id") else None,
                     p.get("address"))
            for p in parties
        ])
    stamp_change(row, scope.user_id, now, expected_version)
    await session.flush()
    await timeline_index.sync(session, [row.id], now, scope.user_id)
    return row


async def _contacts(session: AsyncSession, scope: Scope, ids: Sequence[uuid.UUID]) -> dict[str, str | None]:
    """Contact id → email, for contacts the viewer may read; every bad id reported at once."""
    found: dict[str, str | None] = {}
    problems: list[Problem] = []
    for i, contact_id in enumerate(dict.fromkeys(ids)):
        path = ("input", "relatedContactIds", str(i))
        try:
            record = await any_record(session, scope, contact_id, path)
        except DomainError as error:
            problems.extend(error.problems)
            continue
        if record.type != "CONTACT":
            problems.append(Problem(ErrorCode.NOT_FOUND, "contact not found", path))
            continue
        found[str(record.id)] = record.email
    if problems:
        raise DomainError(problems=problems)
    return found


async def delete_tracked_activity(
    session: AsyncSession, scope: Scope, store: FileStore, activity_id: uuid.UUID, now: datetime, *,
    expected_version: int | None = None,
) -> tuple[uuid.UUID, str]:
    """The item, its notes and attachments go; their bytes are removed after commit.

    Unhooked first so the index sync sees it show nowhere: the timeline rows go with their
    counts and REMOVED events are written (the foreign key's cascade would drop the rows
    behind the counts' back). Then the rows themselves are deleted.
    """
    row = await tracked_activity(session, scope, activity_id, "delete")
    check_version(row, expected_version)
    activity_type = row.type
    notes = list(await session.scalars(select(Note).where(Note.activity_id == row.id)))
    note_ids = [n.id for n in notes]
    owned = or_(Attachment.activity_id == row.id, Attachment.note_id.in_(note_ids)) if note_ids \
        else Attachment.activity_id == row.id
    for attachment in await session.scalars(select(Attachment).where(owned)):
        store.delete_after_commit(session, attachment.storage_key)
        await session.delete(attachment)
    for note in notes:
        note.activity_id = None
    row.regarding_id = row.regarding_type = None
    await session.execute(delete(ActivityParty).where(ActivityParty.activity_id == row.id))
    row.party_list = []
    await session.flush()
    await timeline_index.sync(session, [row.id, *note_ids], now, scope.user_id)
    for note in notes:
        await session.delete(note)
    await session.delete(row)
    await session.flush()
    return activity_id, activity_type

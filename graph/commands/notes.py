"""Use cases for notes (R-NOTE-1): add to a record or an activity, change, delete.

A note is not an activity, but it shows on timelines beside them: every change ends with
`timeline_index.sync(note id)`, which places the note wherever its record (or the
activity it hangs on) shows, and publishes the TimelineChanged event. Notes may be added
to closed activities: a closed activity is read-only except its notes (R-ACT-3).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.common import (
    any_record, owner_for, remember, replayed, require_active, require_on_record,
)
from graph.commands.stamps import check_version, stamp_change, stamp_new
from graph.files import FileStore
from graph.models import Activity, Attachment, Note, Record
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem, not_found
from graph.rules.text_limits import TEXT_LIMITS

MAX_TITLE = TEXT_LIMITS["note_title"]
MAX_TEXT = TEXT_LIMITS["note_text"]


def check_note_fields(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Trimmed title and text; a note needs one of them. All problems at once."""
    cleaned = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()}
    problems: list[Problem] = []
    if cleaned.get("title") and len(cleaned["title"]) > MAX_TITLE:
        problems.append(Problem(ErrorCode.VALIDATION, f"title is longer than {MAX_TITLE} characters", ("input", "title")))
    if cleaned.get("text") and len(cleaned["text"]) > MAX_TEXT:
        problems.append(Problem(ErrorCode.VALIDATION, f"text is longer than {MAX_TEXT} characters", ("input", "text")))
    if creating and not cleaned.get("title") and not cleaned.get("text"):
        problems.append(Problem(ErrorCode.VALIDATION, "a note needs a title or a text", ("input", "text")))
    if problems:
        raise DomainError(problems=problems)
    return cleaned


async def note_target(session: AsyncSession, scope: Scope, *, record_id: uuid.UUID | None,
                      activity_id: uuid.UUID | None) -> Record | Activity:
    """The record or activity a new note hangs on: readable, appendable, and (a record) active."""
    if (record_id is None) == (activity_id is None):
        raise DomainError(ErrorCode.VALIDATION, "give exactly one of recordId and activityId", ("input",))
    if record_id is not None:
        record = await any_record(session, scope, record_id, ("input", "recordId"))
        await require_on_record(session, scope, record, "append_to", record.type.lower())
        await require_active(session, record)
        return record
    assert activity_id is not None
    activity = await session.get(Activity, activity_id, with_for_update=True)
    if activity is None or activity.deleted_on is not None or not scope.can("read", "activity", activity):
        raise not_found("activity", ("input", "activityId"))
    scope.require("append_to", "activity", activity, "activity")
    return activity


async def add_note(
    session: AsyncSession, scope: Scope, values: Mapping[str, Any], now: datetime, *,
    record_id: uuid.UUID | None = None, activity_id: uuid.UUID | None = None,
    client_mutation_id: str | None = None,
) -> Note:
    earlier = await replayed(session, scope.user_id, "create:note", client_mutation_id)
    if earlier is not None:
        found = await session.get(Note, earlier)
        if found is None:
            raise not_found("note", ("input", "clientMutationId"))
        return found
    cleaned = check_note_fields(values, creating=True)
    target = await note_target(session, scope, record_id=record_id, activity_id=activity_id)
    owner = await owner_for(session, scope, None, "note", "create")
    note = Note(title=cleaned.get("title"), text=cleaned.get("text"), owner_id=owner.id,
                owning_business_unit_id=owner.business_unit_id, attachment_count=0,
                record_id=target.id if isinstance(target, Record) else None,
                activity_id=target.id if isinstance(target, Activity) else None)
    stamp_new(note, scope.user_id, now)
    session.add(note)
    if isinstance(target, Activity):
        target.note_count = (target.note_count or 0) + 1
    await session.flush()
    remember(session, scope.user_id, "create:note", client_mutation_id, note.id, now)
    # The activity's entries carry its note count: they change too (live views update).
    await timeline_index.sync(session, [note.id, *([target.id] if isinstance(target, Activity) else [])],
                              now, scope.user_id)
    return note


async def note_for(session: AsyncSession, scope: Scope, note_id: uuid.UUID, action: str,
                   field: tuple[str, ...] = ("input", "id")) -> Note:
    """A note locked for change, after checking the viewer may `action` it and that what it
    hangs on still takes changes (a deactivated record is read-only, R-REC-2)."""
    note = await session.get(Note, note_id, with_for_update=True)
    if note is None:
        raise not_found("note", field)
    try:
        scope.require(action, "note", note, "note")
    except DomainError as error:
        raise DomainError(error.code, error.problems[0].message, field) from None
    if note.record_id is not None:
        record = await session.get(Record, note.record_id)
        if record is not None:
            await require_active(session, record)
    return note


async def update_note(
    session: AsyncSession, scope: Scope, note_id: uuid.UUID, values: Mapping[str, Any], now: datetime,
    *, expected_version: int | None = None,
) -> Note:
    note = await note_for(session, scope, note_id, "write")
    check_version(note, expected_version)
    cleaned = check_note_fields(values, creating=False)
    merged = {"title": cleaned.get("title", note.title), "text": cleaned.get("text", note.text)}
    if not merged["title"] and not merged["text"]:
        raise DomainError(ErrorCode.VALIDATION, "a note needs a title or a text", ("input", "text"))
    note.title, note.text = merged["title"], merged["text"]
    stamp_change(note, scope.user_id, now, expected_version)
    await session.flush()
    await timeline_index.sync(session, [note.id], now, scope.user_id)
    return note


async def delete_note(
    session: AsyncSession, scope: Scope, store: FileStore, note_id: uuid.UUID, now: datetime,
    *, expected_version: int | None = None,
) -> uuid.UUID:
    """The note, its attachments (bytes removed after commit) and its timeline rows go."""
    note = await note_for(session, scope, note_id, "delete")
    check_version(note, expected_version)
    attachments = list(await session.scalars(select(Attachment).where(Attachment.note_id == note.id)))
    for attachment in attachments:
        store.delete_after_commit(session, attachment.storage_key)
        await session.delete(attachment)
    host_ids: list[uuid.UUID] = []
    if note.activity_id is not None:
        activity = await session.get(Activity, note.activity_id, with_for_update=True)
        if activity is not None:
            activity.note_count = max((activity.note_count or 0) - 1, 0)
            host_ids.append(activity.id)
    # Unhook the note first, so the index sync sees it show nowhere: its timeline rows go
    # and the counts move down with them (deleting the row first would let the foreign
    # key's cascade drop the rows behind the counts' back). Then the row itself goes.
    note.record_id = None
    note.activity_id = None
    await session.flush()
    await timeline_index.sync(session, [note_id, *host_ids], now, scope.user_id)
    await session.delete(note)
    await session.flush()
    return note_id

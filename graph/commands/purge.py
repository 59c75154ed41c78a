"""Purging the recycle bin (R-QRY-4): what was deleted longer ago than the kept period goes
for good, with its notes and the bytes of their attachments.

A purged activity takes its notes, attachments and sequence steps with it. A purged record
takes its notes, grants and sequence runs; what only pointed at it stays and lets go of
it (activities about it keep their history as personal activities or on their other
timelines, linked records lose the link). Everything it showed on the timelines left when
it was deleted, so the index only has to forget the notes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.files import FileStore
from graph.models import (
    Activity, ActivityParty, Attachment, Note, Record, RecordGrant, RecordSequence, RecordStep, TimelineCount,
    TimelineEntry,
)

LINKS = ("account_id", "parent_account_id", "customer_id", "primary_contact_id", "qualified_opportunity_id",
         "originating_lead_id")
records = Record.__table__


async def purge_before(session: AsyncSession, store: FileStore, cutoff: datetime, now: datetime,
                       limit: int = 200) -> int:
    """Purge up to `limit` items deleted before `cutoff`; returns how many went."""
    activity_ids = list((await session.scalars(
        select(Activity.id).where(Activity.deleted_on < cutoff).order_by(Activity.deleted_on).limit(limit)
    )).all())
    record_ids = list((await session.scalars(
        select(records.c.id).where(records.c.deleted_on < cutoff).order_by(records.c.deleted_on)
        .limit(max(limit - len(activity_ids), 0))
    )).all())
    if activity_ids:
        await _purge_activities(session, store, activity_ids, now)
    if record_ids:
        await _purge_records(session, store, record_ids, now)
    return len(activity_ids) + len(record_ids)


async def _drop_notes(session: AsyncSession, store: FileStore, note_ids: Sequence[uuid.UUID], now: datetime) -> None:
    if not note_ids:
        return
    await timeline_index.forget(session, note_ids, now, None)
    await _drop_attachments(session, store, select(Attachment).where(Attachment.note_id.in_(note_ids)))
    await session.execute(delete(Note).where(Note.id.in_(note_ids)))


async def _drop_attachments(session: AsyncSession, store: FileStore, query: object) -> None:
    for attachment in (await session.scalars(query)).all():  # type: ignore[call-overload]
        store.delete_after_commit(session, attachment.storage_key)
        await session.delete(attachment)
    await session.flush()


async def _purge_activities(session: AsyncSession, store: FileStore, ids: Sequence[uuid.UUID], now: datetime) -> None:
    await timeline_index.forget(session, ids, now, None)
    notes = (await session.scalars(select(Note.id).where(Note.activity_id.in_(ids)))).all()
    await _drop_notes(session, store, notes, now)
    await _drop_attachments(session, store, select(Attachment).where(Attachment.activity_id.in_(ids)))
    await session.execute(delete(RecordStep).where(RecordStep.activity_id.in_(ids)))
    for activity in (await session.scalars(select(Activity).where(Activity.id.in_(ids)))).all():
        await session.delete(activity)
    await session.flush()


async def _purge_records(session: AsyncSession, store: FileStore, ids: Sequence[uuid.UUID], now: datetime) -> None:
    notes = (await session.scalars(select(Note.id).where(Note.record_id.in_(ids)))).all()
    await _drop_notes(session, store, notes, now)
    about = (await session.scalars(select(Activity.id).where(Activity.regarding_id.in_(ids)))).all()
    await session.execute(update(Activity).where(Activity.regarding_id.in_(ids))
                          .values(regarding_id=None, regarding_type=None))
    await session.execute(update(ActivityParty).where(ActivityParty.party_id.in_(ids))
                          .values(party_id=None, party_type=None))
    for link in LINKS:
        await session.execute(update(records).where(records.c[link].in_(ids)).values({link: None}))
    await session.execute(delete(RecordGrant).where(RecordGrant.record_id.in_(ids)))
    runs = select(RecordSequence.id).where(RecordSequence.record_id.in_(ids))
    await session.execute(delete(RecordStep).where(RecordStep.record_sequence_id.in_(runs)))
    await session.execute(delete(RecordStep).where(RecordStep.record_id.in_(ids)))
    await session.execute(delete(RecordSequence).where(RecordSequence.record_id.in_(ids)))
    await session.execute(delete(TimelineEntry).where(TimelineEntry.record_id.in_(ids)))
    await session.execute(delete(TimelineCount).where(TimelineCount.record_id.in_(ids)))
    for record in (await session.scalars(select(Record).where(Record.id.in_(ids)))).all():
        await session.delete(record)
    await session.flush()
    # Activities that were about a purged record are personal now (or on their parties' timelines).
    await timeline_index.sync(session, about, now, None)

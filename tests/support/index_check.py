"""The timeline index as kept, and as a fresh recomputation from the rows would make it.

`kept_and_recomputed` reads the index, rebuilds it from scratch with the roll-up rule (all
entries and counts deleted, every activity and note synced again) and reads it again: the
two are equal when every write kept the index true. The rebuild commits (it writes the same
rows again), so call it after what else the test checks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from graph.commands import timeline_index
from graph.db import Database
from graph.models import Activity, Note, TimelineCount, TimelineEntry, utcnow


async def _read(session: Any) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    entries = {tuple(r) for r in await session.execute(
        select(TimelineEntry.record_id, TimelineEntry.entry_id, TimelineEntry.relation, TimelineEntry.entry_type,
               TimelineEntry.state, TimelineEntry.owner_id, TimelineEntry.sort_key))}
    counts = {tuple(r) for r in await session.execute(
        select(TimelineCount.record_id, TimelineCount.relation, TimelineCount.entry_type, TimelineCount.state,
               TimelineCount.owner_id, TimelineCount.count).where(TimelineCount.count != 0))}
    return entries, counts


async def kept_and_recomputed(db: Database) -> tuple[Any, Any]:
    async with db.unit_of_work() as session:
        kept = await _read(session)
        await session.execute(delete(TimelineEntry))
        await session.execute(delete(TimelineCount))
        ids = [*(await session.scalars(select(Activity.id))).all(), *(await session.scalars(select(Note.id))).all()]
        await timeline_index.sync(session, ids, utcnow(), None)
        fresh = await _read(session)
    return kept, fresh

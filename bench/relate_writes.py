"""Undo the tasks `bench/compare.py`'s mixed run wrote into Relate's copy of the anchor.

The mixed run creates tasks through the API (`createTask`, subject `Bench write …`) on the
accounts it reads. Left there, they would change the pages every later run compares with
PostGraphile's, and the copy would no longer hold the anchor's million activities. The API
has no mutation that deletes a task, so this does what `delete_tracked_activity` does for
a tracked one: unhook the rows (no regarding record, no parties) so that the timeline
index sync (graph/commands/timeline_index.py) takes their entries and counts out, then
delete them. Their outbox and audit rows stay, as they would after any deletion.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from graph.commands import timeline_index
from graph.db import Database
from graph.models import utcnow
from graph.models.activities import Activity, ActivityParty

BATCH = 500


async def remove_writes(db: Database, prefix: str) -> int:
    """Delete the activities whose subject starts with `prefix`; how many went."""
    removed = 0
    while True:
        async with db.unit_of_work() as session:
            rows = list(await session.scalars(
                select(Activity).where(Activity.subject.like(prefix + "%")).limit(BATCH)))
            if not rows:
                return removed
            ids = [row.id for row in rows]
            for row in rows:
                row.regarding_id = row.regarding_type = None
                row.party_list = []
            await session.execute(delete(ActivityParty).where(ActivityParty.activity_id.in_(ids)))
            await session.flush()
            await timeline_index.sync(session, ids, utcnow(), None)
            for row in rows:
                await session.delete(row)
            await session.flush()
        removed += len(rows)

"""Keeping `timeline_entries` and `timeline_counts` true as entries and records change.

One mechanism for every change: given the entries touched, compute where each should show
(`rollup.timeline_targets`), compare with the rows that exist, write the difference, move
the counts by the same difference, and publish one `TimelineChanged` per entry — or, for an
entry that shows on no timeline before or after (a personal activity, a note on one), one
`PersonalEntryChanged`, so that every change to an activity or note writes an event.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.outbox import publish
from graph.events import Event, PersonalEntryChanged, TimelineChanged
from graph.models import Activity, ActivityParty, Note, Record, TimelineCount, TimelineEntry
from graph.rules.rollup import MAX_CHAIN, PARTY_TIMELINE_TYPES, rollup_parent, timeline_date, timeline_targets

BATCH = 500
# The table, not the polymorphic class: no discriminator criteria, and columns of every type.
records = Record.__table__


@dataclass(frozen=True)
class EntryFacts:
    """What the index copies from an activity or note."""

    entry_id: uuid.UUID
    activity_id: uuid.UUID | None
    note_id: uuid.UUID | None
    entry_type: str
    state: str
    owner_id: uuid.UUID
    unit_id: uuid.UUID
    sort_key: datetime
    regarding_id: uuid.UUID | None
    party_ids: tuple[uuid.UUID, ...]

    def row(self, record_id: uuid.UUID, relation: str) -> dict[str, object]:
        return {
            "record_id": record_id, "entry_id": self.entry_id, "activity_id": self.activity_id,
            "note_id": self.note_id, "entry_type": self.entry_type, "state": self.state,
            "owner_id": self.owner_id, "owning_business_unit_id": self.unit_id,
            "relation": relation, "sort_key": self.sort_key,
        }


CountKey = tuple[uuid.UUID, str, str, str, uuid.UUID, uuid.UUID]


def count_key(row: dict[str, object]) -> CountKey:
    """The `timeline_counts` row an index row is counted in."""
    return (row["record_id"], row["relation"], row["entry_type"], row["state"],  # type: ignore[return-value]
            row["owner_id"], row["owning_business_unit_id"])


async def sync(
    session: AsyncSession, entry_ids: Iterable[uuid.UUID], now: datetime, actor_id: uuid.UUID | None,
) -> None:
    """Bring the index in line with the current rows of these activities and notes.

    The notes on a synced activity are synced with it: they show wherever the activity
    shows (R-NOTE-1), so a new regarding record or party list moves them too.
    """
    ids = list(dict.fromkeys(entry_ids))
    known = set(ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        notes_on = (await session.scalars(select(Note.id).where(Note.activity_id.in_(chunk)))).all()
        followers = [n for n in notes_on if n not in known]
        await _sync_batch(session, chunk + followers, now, actor_id, quiet=frozenset(followers))


async def sync_new(
    session: AsyncSession, activity: Activity, party_ids: Sequence[uuid.UUID], now: datetime,
    actor_id: uuid.UUID | None,
) -> None:
    """Index an activity inserted in this transaction, from the row in hand.

    `sync` reads back what it compares with: the notes on the activity (twice), the
    activity, its parties and its index rows. A new activity has no notes and no index rows
    yet, and its facts are the row just written and `party_ids` (its parties of the kinds
    that put it on a timeline, in the order written), so those five reads would only
    confirm that.
    Same rows, counts and event; `tests/unit/test_timeline_index.py` re-syncs created
    activities through `sync` and checks that nothing changes."""
    fact = EntryFacts(activity.id, activity.id, None, activity.type, activity.state, activity.owner_id,
                      activity.owning_business_unit_id, timeline_date(activity.created_on, activity.sent_on),
                      activity.regarding_id, tuple(party_ids))
    await _sync_batch(session, [activity.id], now, actor_id, known=({activity.id: fact}, []))


async def forget(
    session: AsyncSession, entry_ids: Iterable[uuid.UUID], now: datetime, actor_id: uuid.UUID | None,
) -> None:
    """Take entries off every timeline, counts included, BEFORE their rows are deleted.

    The index rows' foreign keys cascade: deleting an activity or note first would drop
    its index rows behind the counts' back, and a later `sync` would find nothing to
    subtract. Call this, then delete.
    """
    ids = list(dict.fromkeys(entry_ids))
    for start in range(0, len(ids), BATCH):
        await _sync_batch(session, ids[start:start + BATCH], now, actor_id, gone=True)


async def record_moved(session: AsyncSession, record_id: uuid.UUID, now: datetime, actor_id: uuid.UUID | None) -> None:
    """A record's roll-up parent changed: everything on its timeline follows it."""
    entry_ids = (await session.scalars(
        select(TimelineEntry.entry_id).where(TimelineEntry.record_id == record_id)
    )).all()
    await sync(session, entry_ids, now, actor_id)


async def _sync_batch(
    session: AsyncSession, ids: Sequence[uuid.UUID], now: datetime, actor_id: uuid.UUID | None,
    quiet: frozenset[uuid.UUID] = frozenset(), gone: bool = False,
    known: tuple[dict[uuid.UUID, EntryFacts], list[dict[str, object]]] | None = None,
) -> None:
    """Write the difference for `ids`; entries in `quiet` (notes that merely follow their
    activity) publish an event only when their rows changed; `gone` entries show nowhere
    (their facts are still read: a personal entry's event names its owner). `known` gives
    the facts and the existing index rows instead of reading them (`sync_new`)."""
    facts, old_rows = known if known is not None else (await _facts(session, ids), await _index_rows(session, ids))
    parent_of, binned = await _parents(session, () if gone else facts.values())
    old_by_entry: dict[uuid.UUID, list[dict[str, object]]] = {}
    for row in old_rows:
        old_by_entry.setdefault(row["entry_id"], []).append(row)  # type: ignore[arg-type]

    to_delete: list[int] = []
    to_insert: list[dict[str, object]] = []
    deltas: Counter[CountKey] = Counter()
    events: list[Event] = []
    for entry_id in ids:
        fact = facts.get(entry_id)
        wanted = (
            {rid: fact.row(rid, rel) for rid, rel in
             timeline_targets(fact.regarding_id, fact.party_ids, parent_of).items() if rid not in binned}
            if fact and not gone else {}
        )
        existing = {row["record_id"]: row for row in old_by_entry.get(entry_id, [])}
        changed = False
        for record_id, row in existing.items():
            new = wanted.get(record_id)  # type: ignore[call-overload]
            if new is None or any(new[k] != row[k] for k in new):
                changed = True
                to_delete.append(row["id"])  # type: ignore[arg-type]
                deltas[count_key(row)] -= 1
                if new is not None:
                    to_insert.append(new)
                    deltas[count_key(new)] += 1
        for record_id, row in wanted.items():
            if record_id not in existing:
                changed = True
                to_insert.append(row)
                deltas[count_key(row)] += 1
        if entry_id in quiet and not changed:
            continue
        if not wanted and not existing:
            if fact is not None:  # on no timeline, before or after: still a change (a personal task)
                events.append(PersonalEntryChanged(entry_id, fact.entry_type, fact.owner_id))
            continue
        added = tuple(r for r in wanted if r not in existing)
        removed = tuple(r for r in existing if r not in wanted)  # type: ignore[misc]
        change = "ADDED" if not existing else "REMOVED" if not wanted else "CHANGED"
        entry_type = fact.entry_type if fact else str(next(iter(existing.values()))["entry_type"]) if existing else "UNKNOWN"
        events.append(TimelineChanged(entry_id, entry_type, change, tuple(wanted), removed, added))

    if to_delete:
        await session.execute(delete(TimelineEntry).where(TimelineEntry.id.in_(to_delete)))
    if to_insert:
        await session.execute(insert(TimelineEntry), to_insert)
    await apply_counts(session, deltas)
    await publish(session, events, actor_id, now)


async def _index_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[dict[str, object]]:
    return [
        dict(r._mapping) for r in await session.execute(
            select(TimelineEntry.id, TimelineEntry.record_id, TimelineEntry.entry_id,
                   TimelineEntry.entry_type, TimelineEntry.state, TimelineEntry.owner_id,
                   TimelineEntry.owning_business_unit_id, TimelineEntry.relation,
                   TimelineEntry.sort_key, TimelineEntry.activity_id, TimelineEntry.note_id)
            .where(TimelineEntry.entry_id.in_(ids))
        )
    ]


async def _facts(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, EntryFacts]:
    # An activity in the recycle bin (R-QRY-4) has no facts: it shows nowhere, nor do its notes.
    live = Activity.deleted_on.is_(None)
    activities = {a.id: a for a in await session.scalars(select(Activity).where(Activity.id.in_(ids), live))}
    notes = list(await session.scalars(select(Note).where(Note.id.in_(ids))))
    # A note on an activity shows wherever that activity shows (R-NOTE-1).
    host_ids = [n.activity_id for n in notes if n.activity_id and n.activity_id not in activities]
    if host_ids:
        for a in await session.scalars(select(Activity).where(Activity.id.in_(host_ids), live)):
            activities[a.id] = a
    party_rows = await session.execute(
        select(ActivityParty.activity_id, ActivityParty.party_id)
        .where(ActivityParty.activity_id.in_(list(activities)),
               ActivityParty.party_type.in_(sorted(PARTY_TIMELINE_TYPES)))
    ) if activities else []
    parties: dict[uuid.UUID, list[uuid.UUID]] = {}
    for activity_id, party_id in party_rows:
        parties.setdefault(activity_id, []).append(party_id)

    facts: dict[uuid.UUID, EntryFacts] = {}
    wanted = set(ids)
    for a in activities.values():
        if a.id in wanted:
            facts[a.id] = EntryFacts(a.id, a.id, None, a.type, a.state, a.owner_id,
                                     a.owning_business_unit_id, timeline_date(a.created_on, a.sent_on),
                                     a.regarding_id,
                                     tuple(parties.get(a.id, ())))
    for n in notes:
        host = activities.get(n.activity_id) if n.activity_id else None
        if n.activity_id and host is None:
            continue  # on a deleted activity
        regarding = host.regarding_id if host else n.record_id
        party_ids = tuple(parties.get(host.id, ())) if host else ()
        facts[n.id] = EntryFacts(n.id, None, n.id, "NOTE", "ACTIVE", n.owner_id,
                                 n.owning_business_unit_id, n.created_on, regarding, party_ids)
    return facts


async def _parents(
    session: AsyncSession, facts: Iterable[EntryFacts],
) -> tuple[dict[uuid.UUID, uuid.UUID | None], set[uuid.UUID]]:
    """Roll-up parents of every record the entries name, walked up to the top, and which of
    them are in the recycle bin (R-QRY-4): a deleted record shows nothing and passes
    nothing up, as if it were not there."""
    parent_of: dict[uuid.UUID, uuid.UUID | None] = {}
    binned: set[uuid.UUID] = set()
    frontier = {r for f in facts for r in (f.regarding_id, *f.party_ids) if r is not None}
    for _ in range(MAX_CHAIN + 1):
        frontier -= parent_of.keys()
        if not frontier:
            break
        rows = await session.execute(
            select(records.c.id, records.c.account_id, records.c.customer_id,
                   records.c.qualified_opportunity_id, records.c.deleted_on).where(records.c.id.in_(frontier))
        )
        found = set()
        for record_id, account_id, customer_id, opportunity_id, deleted_on in rows:
            if deleted_on is not None:
                binned.add(record_id)
            parent_of[record_id] = None if deleted_on is not None else rollup_parent(
                account_id, customer_id, opportunity_id)
            found.add(record_id)
        for missing in frontier - found:
            parent_of[missing] = None
        frontier = {p for p in parent_of.values() if p is not None}
    return parent_of, binned


async def apply_counts(session: AsyncSession, deltas: Counter[CountKey]) -> None:
    """Move the kept counts by `deltas`, one upsert statement (atomic under concurrency)."""
    rows = [
        {"record_id": k[0], "relation": k[1], "entry_type": k[2], "state": k[3],
         "owner_id": k[4], "owning_business_unit_id": k[5], "count": n}
        for k, n in deltas.items() if n != 0
    ]
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(TimelineCount)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in TimelineCount.__table__.primary_key.columns],
        set_={"count": TimelineCount.count + stmt.excluded.count},
    )
    await session.execute(stmt, rows)

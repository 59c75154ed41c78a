"""The timeline index stays true as entries and records change (R-TL-2, DESIGN §4).

Runs the command module against a real database (SQLite, and PostgreSQL when configured):
after any change, `timeline_entries` holds exactly the rows `rollup.timeline_targets`
asks for and `timeline_counts` equals a GROUP BY of those rows.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import delete, func, select

from bench.datagen import TimelineShape, load_timeline
from graph.commands import timeline_index
from graph.commands.activities import PartyRef, create_activity
from graph.commands.stamps import stamp_new
from graph.db import Database
from graph.models import (
    Account,
    Activity,
    ActivityParty,
    Contact,
    EventTopic,
    Lead,
    Note,
    Opportunity,
    OutboxEvent,
    TimelineCount,
    TimelineEntry,
    utcnow,
)
from graph.queries.principals import viewer_for_token
from graph.rules.rollup import DIRECT, RELATED
from tests.support.org import Org

ENTRY_COLUMNS = ("record_id", "entry_id", "activity_id", "note_id", "entry_type", "state", "owner_id",
                 "owning_business_unit_id", "relation", "sort_key")


async def index_rows(db: Database) -> set[tuple[Any, ...]]:
    async with db.read() as session:
        rows = await session.execute(select(*(getattr(TimelineEntry, c) for c in ENTRY_COLUMNS)))
        return {tuple(r) for r in rows}


async def kept_counts(db: Database) -> Counter[tuple[Any, ...]]:
    async with db.read() as session:
        rows = await session.execute(select(
            TimelineCount.record_id, TimelineCount.relation, TimelineCount.entry_type, TimelineCount.state,
            TimelineCount.owner_id, TimelineCount.owning_business_unit_id, TimelineCount.count))
        return Counter({tuple(r[:6]): r[6] for r in rows if r[6] != 0})


async def grouped_counts(db: Database) -> Counter[tuple[Any, ...]]:
    async with db.read() as session:
        te = TimelineEntry
        rows = await session.execute(
            select(te.record_id, te.relation, te.entry_type, te.state, te.owner_id, te.owning_business_unit_id,
                   func.count()).group_by(te.record_id, te.relation, te.entry_type, te.state, te.owner_id,
                                          te.owning_business_unit_id))
        return Counter({tuple(r[:6]): r[6] for r in rows})


async def assert_consistent(db: Database) -> None:
    counts = await kept_counts(db)
    assert all(n > 0 for n in counts.values()), "a kept count went negative"
    assert counts == await grouped_counts(db)


async def shown_on(db: Database, entry_id: uuid.UUID) -> dict[uuid.UUID, str]:
    async with db.read() as session:
        rows = await session.execute(
            select(TimelineEntry.record_id, TimelineEntry.relation).where(TimelineEntry.entry_id == entry_id))
        return {r: rel for r, rel in rows}


class World:
    """Rows written directly (no API): what the index reads, nothing more."""

    def __init__(self, db: Database, org: Org) -> None:
        self.db, self.org = db, org
        self.user = org.users["sales1"]
        self.unit = org.units["sales"]

    def _owned(self, row: Any, owner: str = "sales1") -> Any:
        unit = self.org.units["west" if owner == "sales3" else "sales"]
        row.owner_id, row.owning_business_unit_id = self.org.users[owner], unit
        stamp_new(row, self.user, utcnow())
        return row

    async def add(self, *rows: Any) -> None:
        async with self.db.unit_of_work() as session:
            session.add_all(rows)

    async def account(self, name: str) -> uuid.UUID:
        row = self._owned(Account(name=name, state="ACTIVE"))
        await self.add(row)
        return row.id  # type: ignore[no-any-return]

    async def contact(self, name: str, account_id: uuid.UUID | None) -> uuid.UUID:
        row = self._owned(Contact(name=name, first_name=name, last_name="X", state="ACTIVE", account_id=account_id,
                                  do_not_phone=False, do_not_email=False, do_not_text=False))
        await self.add(row)
        return row.id  # type: ignore[no-any-return]

    async def activity(self, regarding: uuid.UUID | None, *, parties: tuple[tuple[str, uuid.UUID], ...] = (),
                       state: str = "OPEN", owner: str = "sales1") -> uuid.UUID:
        row = self._owned(Activity(type="TASK", subject="s", state=state, priority="NORMAL", regarding_id=regarding,
                                   attachment_count=0, note_count=0,
                                   party_list=[{"role": "TO", "party_type": t, "party_id": str(p), "address": None}
                                               for t, p in parties]), owner)
        async with self.db.unit_of_work() as session:
            session.add(row)
            await session.flush()
            session.add_all(ActivityParty(activity_id=row.id, role="TO", party_type=t, party_id=p) for t, p in parties)
            await session.flush()
            await timeline_index.sync(session, [row.id], utcnow(), self.user)
        return row.id  # type: ignore[no-any-return]

    async def note(self, *, record: uuid.UUID | None = None, activity: uuid.UUID | None = None) -> uuid.UUID:
        row = self._owned(Note(title="n", record_id=record, activity_id=activity, attachment_count=0))
        async with self.db.unit_of_work() as session:
            session.add(row)
            await session.flush()
            await timeline_index.sync(session, [row.id], utcnow(), self.user)
        return row.id  # type: ignore[no-any-return]

    async def change(self, cls: Any, row_id: uuid.UUID, **values: Any) -> None:
        async with self.db.unit_of_work() as session:
            row = await session.get(cls, row_id)
            for k, v in values.items():
                setattr(row, k, v)
            await session.flush()
            if cls is Activity or cls is Note:
                await timeline_index.sync(session, [row_id], utcnow(), self.user)
            else:
                await timeline_index.record_moved(session, row_id, utcnow(), self.user)


async def events_about(db: Database, entry_id: uuid.UUID) -> list[dict[str, Any]]:
    async with db.read() as session:
        rows = await session.scalars(
            select(OutboxEvent.payload).join(EventTopic, EventTopic.event_id == OutboxEvent.id)
            .where(EventTopic.topic == f"record:{entry_id}").order_by(OutboxEvent.id))
        return list(rows)


async def test_r_tl_2_a_new_entry_is_indexed_where_it_shows_and_counted(db: Database, org: Org) -> None:
    w = World(db, org)
    acme = await w.account("Acme")
    chris = await w.contact("Chris", acme)
    dana = await w.contact("Dana", None)
    task = await w.activity(chris, parties=(("CONTACT", dana), ("USER", w.user)))
    assert await shown_on(db, task) == {chris: DIRECT, acme: RELATED, dana: DIRECT}
    await assert_consistent(db)
    (event,) = await events_about(db, task)
    assert event["change"] == "ADDED" and set(event["addedTo"]) == {str(chris), str(acme), str(dana)}


async def test_r_act_3_a_state_or_owner_change_moves_the_counts(db: Database, org: Org) -> None:
    w = World(db, org)
    acme = await w.account("Acme")
    task = await w.activity(acme)
    await w.change(Activity, task, state="COMPLETED")
    await assert_consistent(db)
    assert {k[3] for k in await kept_counts(db)} == {"COMPLETED"}
    await w.change(Activity, task, owner_id=org.users["sales3"], owning_business_unit_id=org.units["west"])
    await assert_consistent(db)
    assert {k[4] for k in await kept_counts(db)} == {org.users["sales3"]}


async def test_r_tl_2_a_contact_moving_takes_its_entries_and_notes_along(db: Database, org: Org) -> None:
    w = World(db, org)
    first, second = await w.account("First"), await w.account("Second")
    chris = await w.contact("Chris", first)
    task = await w.activity(chris)
    on_task = await w.note(activity=task)
    on_chris = await w.note(record=chris)
    await w.change(Contact, chris, account_id=second)
    for entry in (task, on_task, on_chris):
        assert await shown_on(db, entry) == {chris: DIRECT, second: RELATED}
    await assert_consistent(db)
    await w.change(Contact, chris, account_id=None)
    assert await shown_on(db, task) == {chris: DIRECT}
    await assert_consistent(db)


async def test_r_note_1_notes_follow_their_activity_and_stay_quiet_when_they_do_not_move(db: Database, org: Org) -> None:
    w = World(db, org)
    acme, initech = await w.account("Acme"), await w.account("Initech")
    task = await w.activity(acme)
    voicemail = await w.note(activity=task)
    assert await shown_on(db, voicemail) == {acme: DIRECT}
    await w.change(Activity, task, state="COMPLETED")
    # The note did not move: no event about it for a change of its activity's state.
    assert [e["change"] for e in await events_about(db, voicemail)] == ["ADDED"]
    await w.change(Activity, task, regarding_id=initech)
    assert await shown_on(db, voicemail) == {initech: DIRECT}
    changes = await events_about(db, voicemail)
    assert [e["change"] for e in changes] == ["ADDED", "CHANGED"]
    assert changes[-1]["removedFrom"] == [str(acme)] and changes[-1]["addedTo"] == [str(initech)]
    await assert_consistent(db)


async def test_r_tl_2_a_deleted_entry_leaves_every_timeline_and_count(db: Database, org: Org) -> None:
    w = World(db, org)
    acme = await w.account("Acme")
    chris = await w.contact("Chris", acme)
    task = await w.activity(chris)
    note = await w.note(record=chris)
    async with db.unit_of_work() as session:
        await timeline_index.forget(session, [note, task], utcnow(), w.user)
        await session.execute(delete(Note).where(Note.id == note))
        await session.execute(delete(Activity).where(Activity.id == task))
    for entry in (note, task):
        assert await shown_on(db, entry) == {}
        assert (await events_about(db, entry))[-1]["change"] == "REMOVED"
    assert await kept_counts(db) == Counter()
    await assert_consistent(db)


async def test_r_act_5_an_activity_made_personal_leaves_every_timeline(db: Database, org: Org) -> None:
    """About no record and naming none: it shows nowhere, and the counts follow."""
    w = World(db, org)
    acme = await w.account("Acme")
    task = await w.activity(acme)
    async with db.unit_of_work() as session:
        row = await session.get(Activity, task)
        row.regarding_id = None  # a personal activity shows nowhere
        await session.flush()
        await timeline_index.sync(session, [task], utcnow(), w.user)
    assert await shown_on(db, task) == {}
    assert (await events_about(db, task))[-1]["change"] == "REMOVED"
    await assert_consistent(db)


async def test_r_lead_1_a_qualified_leads_entries_roll_up_to_the_opportunity(db: Database, org: Org) -> None:
    w = World(db, org)
    acme = await w.account("Acme")
    lead = w._owned(Lead(name="Lee", state="OPEN"))
    opportunity = w._owned(Opportunity(name="Deal", state="OPEN", customer_id=acme))
    await w.add(lead, opportunity)
    call = await w.activity(lead.id)
    assert await shown_on(db, call) == {lead.id: DIRECT}
    await w.change(Lead, lead.id, state="QUALIFIED", qualified_opportunity_id=opportunity.id)
    assert await shown_on(db, call) == {lead.id: DIRECT, opportunity.id: RELATED, acme: RELATED}
    await assert_consistent(db)


async def test_r_tl_2_counts_equal_the_entries_after_any_sequence_of_changes(db: Database, org: Org) -> None:
    w = World(db, org)
    chooser = random.Random(7)
    accounts = [await w.account(f"A{i}") for i in range(3)]
    contacts = [await w.contact(f"C{i}", accounts[i % 3]) for i in range(5)]
    records = accounts + contacts
    entries = [await w.activity(chooser.choice(records)) for _ in range(6)]
    notes = [await w.note(activity=entries[0]), await w.note(record=contacts[0])]
    for _ in range(40):
        step = chooser.randrange(5)
        if step == 0:
            await w.change(Activity, chooser.choice(entries), state=chooser.choice(["OPEN", "COMPLETED", "CANCELED"]))
        elif step == 1:
            who = chooser.choice(["sales1", "sales3"])
            await w.change(Activity, chooser.choice(entries), owner_id=org.users[who],
                           owning_business_unit_id=org.units["west" if who == "sales3" else "sales"])
        elif step == 2:
            await w.change(Activity, chooser.choice(entries), regarding_id=chooser.choice([*records, None]))
        elif step == 3:
            await w.change(Contact, chooser.choice(contacts), account_id=chooser.choice([*accounts, None]))
        else:
            entries.append(await w.activity(chooser.choice(records),
                                            parties=(("CONTACT", chooser.choice(contacts)),)))
        await assert_consistent(db)
    assert len(await index_rows(db)) > len(entries) + len(notes)


async def test_bulk_loaded_rows_are_exactly_what_sync_writes(db: Database, org: Org) -> None:
    """The benchmark's generator writes the same index the commands would: re-syncing every
    loaded entry through the real command finds nothing to change."""
    owners = [org.users[k] for k in ("sales1", "sales3", "manager")]
    loaded = await load_timeline(db, TimelineShape(activities=97, contacts=7), owners=owners)
    before_rows, before_counts = await index_rows(db), await kept_counts(db)
    assert len(before_rows) == loaded.entries > 97
    async with db.read() as session:
        activity_ids = list(await session.scalars(select(Activity.id)))
    async with db.unit_of_work() as session:
        await timeline_index.sync(session, activity_ids, utcnow(), None)
    assert await index_rows(db) == before_rows
    assert await kept_counts(db) == before_counts == await grouped_counts(db)


async def test_a_created_activity_is_indexed_exactly_as_sync_indexes_it(db: Database, org: Org) -> None:
    """`create_activity` indexes from the row in hand (`timeline_index.sync_new`) instead of
    reading it back: the same rows, counts and ADDED event as the reading `sync`, whatever
    the regarding record and parties (users, addresses, repeats, records rolled up)."""
    w = World(db, org)
    chooser = random.Random(11)
    accounts = [await w.account(f"A{i}") for i in range(3)]
    contacts = [await w.contact(f"C{i}", chooser.choice([*accounts, None])) for i in range(5)]
    lead = w._owned(Lead(name="Lee", state="OPEN"))
    deal = w._owned(Opportunity(name="Deal", state="OPEN", customer_id=accounts[0]))
    await w.add(lead, deal)
    records = ([("ACCOUNT", a) for a in accounts] + [("CONTACT", c) for c in contacts]
               + [("LEAD", lead.id), ("OPPORTUNITY", deal.id)])
    async with db.read() as session:
        scope = (await viewer_for_token(session, org.tokens["manager"])).scope  # type: ignore[union-attr]
    created = []
    async with db.unit_of_work() as session:
        for i in range(12):
            parties = [PartyRef(chooser.choice(["TO", "CC", "FROM"]), kind, rid)
                       for kind, rid in chooser.sample(records[:-1], chooser.randrange(4))]
            parties += [PartyRef("TO", "USER", w.user)] if i % 3 == 0 else []
            parties += [PartyRef("CC", address="someone@example.test")] if i % 4 == 0 else []
            parties += parties[:1] if i % 5 == 0 else []  # the same party twice
            regarding = chooser.choice([*(rid for _, rid in records), None])
            row = await create_activity(session, scope, "TASK", {"subject": f"T{i}"}, utcnow(),
                                        regarding_id=regarding, parties=parties)
            created.append(row.id)
    rows, counts = await index_rows(db), await kept_counts(db)
    first_events = {entry: (await events_about(db, entry))[-1] for entry in created}
    assert sum(len(e["addedTo"]) for e in first_events.values()) > len(created)  # most show somewhere

    async with db.unit_of_work() as session:
        await timeline_index.sync(session, created, utcnow(), None)
    assert await index_rows(db) == rows
    assert await kept_counts(db) == counts == await grouped_counts(db)

    # From scratch through the reading path: the same ADDED event, field for field.
    async with db.unit_of_work() as session:
        await timeline_index.forget(session, created, utcnow(), None)
    async with db.unit_of_work() as session:
        await timeline_index.sync(session, created, utcnow(), None)
    assert await index_rows(db) == rows and await kept_counts(db) == counts
    for entry in created:
        assert (await events_about(db, entry))[-1] == first_events[entry]

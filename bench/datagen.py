"""Bulk data for timeline benchmarks and large-volume tests, written straight to the tables.

A million activities through the API would take hours, so rows are built here and
inserted in chunks (executemany on SQLite, COPY on PostgreSQL). They are the rows the
commands would write: activities with their parties and party copy, the timeline index
computed by the same rule (`rollup.timeline_targets`) and row builder
(`timeline_index.EntryFacts`), the kept counts, the audit trail's CREATED entry, and one
outbox event per created row. (The account and contacts go through the ORM, so its flush
hooks write their audit entries themselves.)
`tests/unit/test_timeline_index.py` proves the index part: re-syncing loaded entries
through the real command changes nothing.

Shape (as the PostGraphile anchor in DESIGN §9): one account with `contacts` contacts;
activity i regards the account when i % 5 == 0 (20 %), else contact i % contacts (80 %);
types cycle task, phone call, email, appointment; a third are closed; activity i is
dated i minutes before `now`, unless `same_date` puts every one at the same instant.
`load_anchor` writes the anchor's own layout instead (10,000 accounts, 100,000 contacts,
account 1 with 1,000 of them, activities about accounts and contacts alike), for
`bench/compare.py`.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Table, Uuid, func, select, text

from graph.commands import timeline_index
from graph.commands.stamps import stamp_new
from graph.db import Database
from graph.events import Event, RecordChanged, TimelineChanged
from graph.models.base import UTCDateTime
from graph.models import (
    Account,
    Activity,
    ActivityParty,
    AuditEntry,
    Contact,
    EventTopic,
    OutboxEvent,
    Principal,
    Record,
    TimelineEntry,
)
from graph.rules import activity_states as states
from graph.rules.rollup import PARTY_TIMELINE_TYPES, timeline_targets

KINDS = ("TASK", "PHONE_CALL", "EMAIL", "APPOINTMENT")
# Who takes part, by kind: (role of the creator, role of the regarding record).
ROLES = {"PHONE_CALL": ("FROM", "TO"), "EMAIL": ("FROM", "TO"), "APPOINTMENT": ("ORGANIZER", "REQUIRED_ATTENDEE")}
DESCRIPTION = "d" * 60


@dataclass(frozen=True)
class TimelineShape:
    activities: int
    contacts: int = 1000
    same_date: bool = False
    events: bool = True
    chunk: int = 50_000


@dataclass(frozen=True)
class Loaded:
    account_id: uuid.UUID
    contact_ids: list[uuid.UUID]
    newest: datetime
    oldest: datetime
    activities: int
    entries: int


@dataclass(frozen=True)
class Owner:
    id: uuid.UUID
    unit_id: uuid.UUID


async def load_timeline(
    db: Database, shape: TimelineShape, *, owners: Sequence[uuid.UUID], account_id: uuid.UUID | None = None,
    now: datetime | None = None, progress: Any = None,
) -> Loaded:
    """An account (new, or the one given), its contacts and `shape.activities` activities."""
    now = now or datetime.now(UTC)
    people = await _owners(db, owners)
    account_id, contact_ids = await _records(db, shape, people, account_id, now)
    parent_of: dict[uuid.UUID, uuid.UUID | None] = {c: account_id for c in contact_ids}
    parent_of[account_id] = None
    entries = await _load_activities(db, shape, range(shape.activities), people, [account_id], contact_ids,
                                     parent_of, now, progress)
    newest = now
    oldest = now if shape.same_date else now - timedelta(minutes=max(shape.activities - 1, 0))
    return Loaded(account_id, contact_ids, newest, oldest, shape.activities, entries)


async def _load_activities(
    db: Database, shape: TimelineShape | AnchorShape, numbers: range, people: list[Owner],
    account_ids: Sequence[uuid.UUID], contact_ids: list[uuid.UUID], parent_of: dict[uuid.UUID, uuid.UUID | None],
    now: datetime, progress: Any,
) -> int:
    """Activities `numbers` in chunks, with their parties, index rows, events and kept counts;
    returns how many index rows were written."""
    writer = await BulkWriter.open(db, shape)
    counts: Counter[timeline_index.CountKey] = Counter()
    entries = 0
    try:
        for start in range(numbers.start, numbers.stop, shape.chunk):
            stop = min(start + shape.chunk, numbers.stop)
            batch = _Batch()
            for i in range(start, stop):
                _activity(batch, i, shape, people, account_ids, contact_ids, parent_of, now)
            for row in batch.entries:
                counts[timeline_index.count_key(row)] += 1
            entries += len(batch.entries)
            await writer.write(Activity.__table__, batch.activities)
            await writer.write(ActivityParty.__table__, batch.parties)
            await writer.write(TimelineEntry.__table__, batch.entries)
            await writer.write(AuditEntry.__table__, batch.audit)
            if shape.events:
                await writer.events(batch.events)
            await writer.commit()
            if progress is not None:
                progress(stop - numbers.start)
        await writer.finish()
    finally:
        await writer.close()
    async with db.unit_of_work() as session:
        await timeline_index.apply_counts(session, counts)
    return entries


@dataclass(frozen=True)
class AnchorShape:
    """The PostGraphile anchor's layout (shared/bench/postgraphile_anchor.sql, DESIGN §9):
    account g is owned by user g % 100; contact g belongs to account 1 when g <= 1,000, else
    to account 1 + g % accounts; activity g (1-based) regards account 1 + g % accounts when
    g % 5 == 0, else contact 1 + g % contacts. With the defaults account 1 shows 8,200."""

    activities: int = 1_000_000
    accounts: int = 10_000
    contacts: int = 100_000
    first_account_contacts: int = 1000
    events: bool = True
    chunk: int = 50_000
    same_date: bool = False


@dataclass(frozen=True)
class AnchorLoaded:
    account_ids: list[uuid.UUID]
    contact_ids: list[uuid.UUID]
    activities: int
    entries: int


async def load_anchor(db: Database, shape: AnchorShape, *, owners: Sequence[uuid.UUID],
                      now: datetime | None = None, progress: Any = None) -> AnchorLoaded:
    """The anchor's accounts, contacts and activities, as the commands would write them.

    `owners` are the anchor's users 1..N in order. Lists are 0-based: `account_ids[k]` is
    the anchor's account k + 1, so "account 1 + g % n" is `account_ids[g % n]`, which is
    also what `_activity` picks for activity g.
    """
    now = now or datetime.now(UTC)
    people = await _owners(db, owners)
    account_ids = [uuid.uuid4() for _ in range(shape.accounts)]
    contact_ids = [uuid.uuid4() for _ in range(shape.contacts)]
    parent_of: dict[uuid.UUID, uuid.UUID | None] = {a: None for a in account_ids}
    accounts, contacts, events = [], [], []
    for g in range(1, shape.accounts + 1):
        owner = people[g % len(people)]
        accounts.append(_record_row(account_ids[g - 1], "ACCOUNT", f"Account {g}", owner, now))
        events.append((RecordChanged(account_ids[g - 1], "ACCOUNT", "CREATED"), owner.id, now))
    for g in range(1, shape.contacts + 1):
        owner = people[g % len(people)]
        account = account_ids[0] if g <= shape.first_account_contacts else account_ids[g % shape.accounts]
        parent_of[contact_ids[g - 1]] = account
        contacts.append(_record_row(contact_ids[g - 1], "CONTACT", f"F{g} L{g}", owner, now, first_name=f"F{g}",
                                    last_name=f"L{g}", email=f"c{g}@x.test", account_id=account,
                                    do_not_phone=False, do_not_email=False, do_not_text=False))
        events.append((RecordChanged(contact_ids[g - 1], "CONTACT", "CREATED"), owner.id, now))
    writer = await BulkWriter.open(db, shape)
    try:
        for rows in (accounts, contacts):
            for start in range(0, len(rows), shape.chunk):
                await writer.write(Record.__table__, rows[start:start + shape.chunk])
        if shape.events:
            await writer.events(events)
        await writer.commit()
        await writer.finish()
    finally:
        await writer.close()
    entries = await _load_activities(db, shape, range(1, shape.activities + 1), people, account_ids, contact_ids,
                                     parent_of, now, progress)
    return AnchorLoaded(account_ids, contact_ids, shape.activities, entries)


_RECORD_DEFAULTS = {c.name: c.default.arg for c in Record.__table__.columns
                    if c.default is not None and c.default.is_scalar}


def _record_row(record_id: uuid.UUID, record_type: str, name: str, owner: Owner, now: datetime,
                **values: Any) -> dict[str, Any]:
    """A record row as `create_record` writes it (active, stamped by its owner, version 1),
    with the column defaults the ORM fills in for every record type (one table)."""
    return {**_RECORD_DEFAULTS, "id": record_id, "type": record_type, "name": name, "state": "ACTIVE", "owner_id": owner.id,
            "owning_business_unit_id": owner.unit_id, "created_by_id": owner.id, "modified_by_id": owner.id,
            "created_on": now, "modified_on": now, "version": 1, **values}


async def _owners(db: Database, ids: Sequence[uuid.UUID]) -> list[Owner]:
    async with db.read() as session:
        rows = (await session.execute(
            select(Principal.id, Principal.business_unit_id).where(Principal.id.in_(list(ids)))
        )).all()
    found = {r[0]: Owner(r[0], r[1]) for r in rows}
    return [found[i] for i in ids]


async def _records(db: Database, shape: TimelineShape, people: list[Owner], account_id: uuid.UUID | None,
                   now: datetime) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The account and contacts, as `createAccount`/`createContact` write them (ORM rows)."""
    events: list[tuple[Event, uuid.UUID]] = []
    async with db.unit_of_work() as session:
        creator = people[0]
        if account_id is None:
            account = Account(name="Import Sports", state="ACTIVE", owner_id=creator.id,
                              owning_business_unit_id=creator.unit_id)
            stamp_new(account, creator.id, now)
            session.add(account)
            await session.flush()
            account_id = account.id
            events.append((RecordChanged(account.id, "ACCOUNT", "CREATED"), creator.id))
        contacts = []
        for n in range(shape.contacts):
            owner = people[n % len(people)]
            row = Contact(first_name=f"F{n}", last_name=f"L{n}", name=f"F{n} L{n}", email=f"c{n}@example.test",
                          phone=f"+1 555 {n:07d}", account_id=account_id, state="ACTIVE", owner_id=owner.id,
                          owning_business_unit_id=owner.unit_id)
            stamp_new(row, owner.id, now)
            contacts.append(row)
        session.add_all(contacts)
        await session.flush()
        events.extend((RecordChanged(c.id, "CONTACT", "CREATED"), c.created_by_id) for c in contacts)
    if shape.events and events:
        writer = await BulkWriter.open(db, shape)
        try:
            await writer.events([(e, actor, now) for e, actor in events])
            await writer.commit()
            await writer.finish()
        finally:
            await writer.close()
    return account_id, [c.id for c in contacts]


class _Batch:
    def __init__(self) -> None:
        self.activities: list[dict[str, Any]] = []
        self.parties: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.events: list[tuple[Event, uuid.UUID, datetime]] = []
        self.audit: list[dict[str, Any]] = []


def _activity(batch: _Batch, i: int, shape: TimelineShape | AnchorShape, people: list[Owner],
              account_ids: Sequence[uuid.UUID], contact_ids: list[uuid.UUID],
              parent_of: dict[uuid.UUID, uuid.UUID | None], now: datetime) -> None:
    """Activity i: its row, party rows, index rows and event, as `insert_activity` makes them."""
    kind = KINDS[i % len(KINDS)]
    about_account = i % 5 == 0 or not contact_ids
    regarding = account_ids[i % len(account_ids)] if about_account else contact_ids[i % len(contact_ids)]
    regarding_type = "ACCOUNT" if about_account else "CONTACT"
    owner, creator = people[i % len(people)], people[(i * 7) % len(people)]
    created = now if shape.same_date else now - timedelta(minutes=i)
    closed = i % 3 == 0
    state = {"EMAIL": "SENT", "APPOINTMENT": "COMPLETED" if closed else "SCHEDULED"}.get(
        kind, "COMPLETED" if closed else "OPEN")
    activity_id = uuid.uuid4()
    parties: list[tuple[str, str, uuid.UUID]] = []
    if kind in ROLES:
        own_role, their_role = ROLES[kind]
        parties = [(own_role, "USER", creator.id), (their_role, regarding_type, regarding)]
    direction = "OUTGOING" if kind == "PHONE_CALL" else None
    start = created + timedelta(days=1) if kind == "APPOINTMENT" else None
    batch.activities.append({
        "id": activity_id, "type": kind, "subject": f"Subject {i}", "description": DESCRIPTION,
        "state": state, "status_reason": states.status_reason(kind, state, direction), "priority": "NORMAL",
        "due": start, "scheduled_start": start, "scheduled_end": start + timedelta(hours=1) if start else None,
        "actual_end": None if states.is_open(state) else created,
        "regarding_id": regarding, "regarding_type": regarding_type, "owner_id": owner.id,
        "owning_business_unit_id": owner.unit_id, "created_by_id": creator.id, "modified_by_id": creator.id,
        # Calls name the number dialled (the contact's business phone when about a contact).
        "phone_number": f"+1 555 {i % len(contact_ids or [0]):07d}" if kind == "PHONE_CALL" else None,
        "direction": direction, "attachment_count": 0, "note_count": 0, "is_tracked": False,
        "party_list": [{"role": r, "party_type": t, "party_id": str(p), "address": None} for r, t, p in parties],
        "created_on": created, "modified_on": created, "version": 1,
    })
    batch.parties.extend(
        {"id": uuid.uuid4(), "activity_id": activity_id, "role": r, "party_type": t, "party_id": p, "address": None}
        for r, t, p in parties
    )
    party_records = tuple(p for _, t, p in parties if t in PARTY_TIMELINE_TYPES)
    facts = timeline_index.EntryFacts(activity_id, activity_id, None, kind, state, owner.id, owner.unit_id,
                                      created, regarding, party_records)
    targets = timeline_targets(regarding, party_records, parent_of)
    batch.entries.extend(facts.row(record_id, relation) for record_id, relation in targets.items())
    batch.audit.append({"subject_kind": "ACTIVITY", "subject_type": kind, "subject_id": activity_id,
                        "action": "CREATED", "changes": [], "actor_id": creator.id, "changed_on": created,
                        "version": 1})
    batch.events.append((TimelineChanged(activity_id, kind, "ADDED", tuple(targets), (), tuple(targets)),
                         creator.id, created))


def _uuid_hex(value: uuid.UUID) -> str:
    return value.hex


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_time(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text, which sorts as the times do."""
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


class BulkWriter:
    """Chunked inserts on one raw connection: executemany on SQLite, COPY on PostgreSQL.

    Values go through each column's own bind processor, so they are stored exactly as
    the ORM would store them (UUID text, UTC timestamps, JSON).
    """

    def __init__(self, db: Database, connection: Any, raw: Any) -> None:
        self.db = db
        self.connection = connection
        self.raw = raw
        self.dialect = db.writer.dialect
        self.sqlite = db.is_sqlite
        self.next_event_id: int | None = None
        self.in_transaction = False

    @classmethod
    async def open(cls, db: Database, shape: TimelineShape | AnchorShape) -> BulkWriter:
        connection = await db.writer.connect()
        wrapper = await connection.get_raw_connection()
        writer = cls(db, connection, wrapper.driver_connection)
        if writer.sqlite:
            for pragma in ("PRAGMA synchronous=OFF", "PRAGMA cache_size=-1000000", "PRAGMA temp_store=MEMORY"):
                await writer.raw.execute(pragma)
        return writer

    def _converter(self, column: Any) -> Any:
        """The column's bind processor, with direct equivalents for the hot types (ids,
        times, JSON, flags): the same stored values at a fraction of the cost per value."""
        kind = column.type
        if isinstance(kind, Uuid):
            return _uuid_hex if self.sqlite else None
        if isinstance(kind, UTCDateTime):
            return _sqlite_time if self.sqlite else _naive_utc
        if isinstance(kind, JSON):
            return json.dumps
        if isinstance(kind, Boolean):
            return int if self.sqlite else None
        return kind._cached_bind_processor(self.dialect)

    async def _begin(self) -> None:
        if self.sqlite and not self.in_transaction:
            await self.raw.execute("BEGIN IMMEDIATE")
            self.in_transaction = True

    async def write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = [c for c in table.columns if c.name in rows[0]]
        processors = [self._converter(c) for c in columns]
        names = [c.name for c in columns]
        records = [
            tuple(None if (v := row[n]) is None else p(v) if p else v for n, p in zip(names, processors, strict=True))
            for row in rows
        ]
        await self._begin()
        if self.sqlite:
            marks = ", ".join("?" for _ in names)
            await self.raw.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", records)
        else:
            await self.raw.copy_records_to_table(table.name, records=records, columns=names)

    async def events(self, events: Iterable[tuple[Event, uuid.UUID | None, datetime]]) -> None:
        """Outbox rows with their topics; `seq` stays empty, as the relay stamps it after commit."""
        if self.next_event_id is None:
            async with self.db.read() as session:
                self.next_event_id = int(await session.scalar(select(func.coalesce(func.max(OutboxEvent.id), 0))) or 0) + 1
        rows: list[dict[str, Any]] = []
        topics: list[dict[str, Any]] = []
        for event, actor, when in events:
            event_id = self.next_event_id
            self.next_event_id += 1
            rows.append({"id": event_id, "seq": None, "kind": event.kind, "payload": event.payload(),
                         "actor_id": actor, "created_on": when})
            topics.extend({"event_id": event_id, "topic": t} for t in sorted(set(event.topics())))
        await self.write(OutboxEvent.__table__, rows)
        await self.write(EventTopic.__table__, topics)

    async def commit(self) -> None:
        if self.sqlite and self.in_transaction:
            await self.raw.execute("COMMIT")
            self.in_transaction = False

    async def finish(self) -> None:
        """Explicit ids were given to events: move PostgreSQL's sequence past them."""
        if not self.sqlite and self.next_event_id is not None:
            await self.raw.execute(
                "SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events))"
            )

    async def close(self) -> None:
        if self.in_transaction:
            await self.raw.execute("ROLLBACK")
        await self.connection.close()


async def analyze(db: Database) -> None:
    """Fresh planner statistics after a bulk load (both databases plan from them)."""
    async with db.writer.begin() as conn:
        await conn.execute(text("ANALYZE"))

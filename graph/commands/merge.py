"""Merging two records (R-QRY-3): the survivor takes over everything the other one had.

Accounts, contacts and leads. The survivor keeps its field values except those chosen
from the other (`field_choices`); it takes the other's activities (regarding and as a
party), notes (their attachments follow them), contacts, child accounts, opportunities,
cases, originated opportunities, shares and sequence runs. The other becomes INACTIVE
with `merged_into_id`. Then the timeline index is synced for every entry that showed on
the other's timeline or was about it: the one roll-up rule (`timeline_index`) recomputes
where each shows, moves the counts and publishes one `TimelineChanged` per entry, so the
live subscriber of every timeline that changed gets its events.

All in the caller's one transaction (all or nothing). The moves are Core statements, so
the audit trail gets exactly one entry for the merge (written here), not one per row moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.common import record_for, require_active
from graph.commands.outbox import publish_many
from graph.commands.records import FIELDS as RECORD_FIELDS
from graph.commands.recycle_bin import entries_about
from graph.commands.sales import FIELDS as SALES_FIELDS
from graph.events import RecordChanged
from graph.models import (
    Activity, ActivityParty, AuditEntry, Note, Record, RecordGrant, RecordSequence, RecordStep, TimelineEntry,
)
from graph.rules.access import Scope
from graph.rules.duplicates import keys_of
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import display_name, input_name

MERGEABLE = ("ACCOUNT", "CONTACT", "LEAD")
# Columns of other records that point at a merged record, and move to the survivor.
POINTERS = ("account_id", "parent_account_id", "customer_id", "primary_contact_id", "originating_lead_id")
NOT_CHOOSABLE = frozenset({"parent_account_id", "account_id", "primary_contact_id", "external_id"})
records = Record.__table__


def choosable(record_type: str) -> dict[str, str]:
    """API field name → column, for the fields a merge may take from the other record."""
    columns = RECORD_FIELDS.get(record_type) or SALES_FIELDS[record_type]
    names: dict[str, str] = {}
    for column in columns:
        if column in NOT_CHOOSABLE:
            continue
        head, *rest = input_name(record_type, column).split("_")
        names[head + "".join(p.title() for p in rest)] = column
    if record_type == "ACCOUNT":
        names["name"] = "name"
    return names


async def merge_records(
    session: AsyncSession, scope: Scope, survivor_id: uuid.UUID, other_id: uuid.UUID,
    field_choices: Sequence[str], now: datetime,
) -> Record:
    """Merge `other_id` into `survivor_id`; write permission on both is needed."""
    survivor = await record_for(session, scope, Record, survivor_id, "write", ("input", "survivorId"))
    other = await record_for(session, scope, Record, other_id, "write", ("input", "otherId"))
    if survivor_id == other_id:
        raise DomainError(ErrorCode.VALIDATION, "a record cannot be merged with itself", ("input", "otherId"))
    if survivor.type not in MERGEABLE:
        raise DomainError(ErrorCode.NOT_SUPPORTED, f"a {survivor.type.lower()} cannot be merged", ("input", "survivorId"))
    if other.type != survivor.type:
        raise DomainError(ErrorCode.VALIDATION, f"both records must be {survivor.type.lower()}s", ("input", "otherId"))
    for row, path in ((survivor, ("input", "survivorId")), (other, ("input", "otherId"))):
        if row.merged_into_id is not None:
            raise DomainError(ErrorCode.INVALID_STATE, f"'{row.name}' was merged already", path)
        await require_active(session, row, path)
    taken = _chosen(survivor.type, field_choices, other)

    entries = set(await entries_about(session, other.id))
    entries |= set((await session.scalars(select(TimelineEntry.entry_id).where(TimelineEntry.record_id == other.id))).all())
    moved_records = await _move_pointers(session, survivor, other)
    await _move_parties(session, survivor, other)
    await session.execute(update(Activity).where(Activity.regarding_id == other.id)
                          .values(regarding_id=survivor.id, regarding_type=survivor.type))
    await session.execute(update(Note).where(Note.record_id == other.id).values(record_id=survivor.id))
    await _move_grants(session, survivor, other)
    await _move_sequences(session, survivor, other)
    await _stamp(session, scope, survivor, other, taken, now)
    await timeline_index.sync(session, sorted(entries), now, scope.user_id)
    await publish_many(session, [
        RecordChanged(survivor.id, survivor.type, "UPDATED", ("merged_from", *sorted(taken))),
        RecordChanged(other.id, other.type, "MERGED", ("state", "merged_into_id")),
        *(RecordChanged(i, t, "UPDATED", tuple(f)) for i, t, f in moved_records),
    ], scope.user_id, now)
    refreshed = await session.get(Record, survivor.id, populate_existing=True)
    assert refreshed is not None
    return refreshed


def _chosen(record_type: str, field_choices: Sequence[str], other: Record) -> dict[str, Any]:
    names = choosable(record_type)
    unknown = [f for f in field_choices if f not in names]
    if unknown:
        raise DomainError(ErrorCode.VALIDATION, f"cannot take {', '.join(unknown)} from the other record; choose "
                                                f"from {', '.join(sorted(names))}", ("input", "fieldChoices"))
    return {names[f]: getattr(other, names[f]) for f in dict.fromkeys(field_choices)}


async def _move_pointers(session: AsyncSession, survivor: Record, other: Record) -> list[tuple[uuid.UUID, str, list[str]]]:
    """Contacts, child accounts, opportunities, cases … of the other now point at the survivor."""
    moved: dict[uuid.UUID, tuple[str, list[str]]] = {}
    for column in POINTERS:
        rows = (await session.execute(select(records.c.id, records.c.type).where(
            records.c[column] == other.id, records.c.id != survivor.id))).all()
        for record_id, record_type in rows:
            moved.setdefault(record_id, (record_type, []))[1].append(column)
        await session.execute(update(records).where(records.c[column] == other.id, records.c.id != survivor.id)
                              .values({column: survivor.id}))
    return [(i, t, f) for i, (t, f) in moved.items()]


async def _move_parties(session: AsyncSession, survivor: Record, other: Record) -> None:
    """Parties naming the other name the survivor, in the rows and in each activity's copy."""
    await session.execute(update(ActivityParty).where(ActivityParty.party_id == other.id)
                          .values(party_id=survivor.id, party_type=survivor.type))
    old, new = str(other.id), str(survivor.id)
    rows = (await session.execute(select(Activity.id, Activity.party_list).where(
        Activity.id.in_(select(ActivityParty.activity_id).where(ActivityParty.party_id == survivor.id))))).all()
    for activity_id, parties in rows:
        if any(p.get("party_id") == old for p in parties or ()):
            copy = [{**p, "party_id": new} if p.get("party_id") == old else p for p in parties]
            await session.execute(update(Activity).where(Activity.id == activity_id).values(party_list=copy))


async def _move_grants(session: AsyncSession, survivor: Record, other: Record) -> None:
    """Whoever the other was shared with gets the survivor (an existing grant on it stays)."""
    have = set((await session.scalars(select(RecordGrant.principal_id).where(RecordGrant.record_id == survivor.id))).all())
    grants = (await session.scalars(select(RecordGrant).where(RecordGrant.record_id == other.id))).all()
    for grant in grants:
        if grant.principal_id not in have:
            session.add(RecordGrant(record_id=survivor.id, principal_id=grant.principal_id, can_read=grant.can_read,
                                    can_write=grant.can_write, can_append=grant.can_append,
                                    can_assign=grant.can_assign, can_share=grant.can_share,
                                    granted_on=grant.granted_on, granted_by_id=grant.granted_by_id))
        await session.delete(grant)
    await session.flush()


async def _move_sequences(session: AsyncSession, survivor: Record, other: Record) -> None:
    """The other's sequence runs go to the survivor, unless the survivor has a connected run:
    one connected run per record, so then the other's stay where they are (it is inactive)."""
    busy = await session.scalar(select(RecordSequence.id).where(
        RecordSequence.record_id == survivor.id, RecordSequence.connected.is_not(None)))
    if busy is not None:
        return
    await session.execute(update(RecordStep).where(RecordStep.record_id == other.id).values(record_id=survivor.id))
    await session.execute(update(RecordSequence).where(RecordSequence.record_id == other.id)
                          .values(record_id=survivor.id))


async def _stamp(session: AsyncSession, scope: Scope, survivor: Record, other: Record, taken: dict[str, Any],
                 now: datetime) -> None:
    """The survivor takes the chosen values; the other goes INACTIVE; one audit entry says so."""
    stamps = {"modified_on": now, "modified_by_id": scope.user_id}
    await session.execute(update(records).where(records.c.id == other.id).values(
        state="INACTIVE", status_reason="MERGED", merged_into_id=survivor.id, version=other.version + 1, **stamps))
    values = dict(taken)
    if taken.keys() & {"first_name", "last_name", "topic", "name"}:
        merged = {f: values.get(f, getattr(survivor, f, None)) for f in ("name", "first_name", "last_name", "topic")}
        values["name"] = display_name(survivor.type, merged)
    if survivor.type in ("CONTACT", "LEAD") or "name" in values:
        current = {"phone": survivor.phone, "mobile_phone": survivor.mobile_phone, "name": survivor.name, **values}
        values.update(keys_of(survivor.type, current))
    await session.execute(update(records).where(records.c.id == survivor.id)
                          .values(version=survivor.version + 1, **values, **stamps))
    changes = [{"field": "mergedFrom", "old": None, "new": str(other.id)}]
    changes += [{"field": column, "old": _plain(getattr(survivor, column)), "new": _plain(value)}
                for column, value in taken.items()]
    session.add(AuditEntry(subject_kind="RECORD", subject_type=survivor.type, subject_id=survivor.id,
                           action="MERGED", changes=changes, actor_id=scope.user_id, changed_on=now,
                           version=survivor.version + 1))
    await session.flush()


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)

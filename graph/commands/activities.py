"""Use cases for activities (SPEC §3): create, then keep the timeline index and outbox true."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.common import any_record, owner_for, remember, replayed, secured_type
from graph.commands.stamps import stamp_new
from graph.models import Activity, ActivityParty, Principal
from graph.rules import activity_states as states
from graph.rules.errors import DomainError, ErrorCode, Problem, not_found
from graph.rules.records import require_active
from graph.rules.access import Scope

RECORD_PARTY_TYPES = frozenset({"CONTACT", "LEAD", "ACCOUNT"})
PRINCIPAL_PARTY_TYPES = frozenset({"USER", "TEAM"})


@dataclass(frozen=True)
class PartyRef:
    """A participant as given: a user/record by type and id, or a bare address."""

    role: str
    party_type: str | None = None
    party_id: uuid.UUID | None = None
    address: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "party_type": self.party_type,
                "party_id": str(self.party_id) if self.party_id else None, "address": self.address}


async def check_parties(session: AsyncSession, scope: Scope, parties: Sequence[PartyRef]) -> None:
    problems: list[Problem] = []
    for i, party in enumerate(parties):
        path = ("input", "parties", str(i))
        if party.role not in states.PARTY_ROLES:
            problems.append(Problem(ErrorCode.VALIDATION, f"unknown party role {party.role}", path))
        if party.party_id is None:
            if not party.address or not party.address.strip():
                problems.append(Problem(ErrorCode.VALIDATION, "a party needs a partyId or an address", path))
            continue
        if party.party_type in PRINCIPAL_PARTY_TYPES:
            principal = await session.get(Principal, party.party_id)
            if principal is None:
                problems.append(Problem(ErrorCode.NOT_FOUND, "party not found", (*path, "partyId")))
        elif party.party_type in RECORD_PARTY_TYPES:
            try:
                record = await any_record(session, scope, party.party_id, (*path, "partyId"))
            except DomainError as error:
                problems.extend(error.problems)
                continue
            if record.type != party.party_type:
                problems.append(Problem(ErrorCode.NOT_FOUND, "party not found", (*path, "partyId")))
        else:
            problems.append(Problem(ErrorCode.VALIDATION, "a party is a user, team, contact, lead or account", path))
    if problems:
        raise DomainError(problems=problems)


async def write_parties(session: AsyncSession, activity: Activity, parties: Sequence[PartyRef]) -> None:
    """The party rows (for queries) and their copy on the activity (for pages)."""
    if parties:
        await session.execute(insert(ActivityParty), [
            {"activity_id": activity.id, "role": p.role, "party_type": p.party_type,
             "party_id": p.party_id, "address": p.address.strip() if p.address else None}
            for p in parties
        ])
    activity.party_list = [p.as_json() for p in parties]


def check_activity_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Subject required; sane priority and times. All problems at once."""
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    problems: list[Problem] = []
    if "subject" in cleaned and not cleaned["subject"]:
        problems.append(Problem(ErrorCode.VALIDATION, "subject is required", ("input", "subject")))
    if cleaned.get("subject") and len(cleaned["subject"]) > 400:
        problems.append(Problem(ErrorCode.VALIDATION, "subject is longer than 400 characters", ("input", "subject")))
    if cleaned.get("priority") and cleaned["priority"] not in states.PRIORITIES:
        problems.append(Problem(ErrorCode.VALIDATION, "priority is LOW, NORMAL or HIGH", ("input", "priority")))
    start, end = cleaned.get("scheduled_start"), cleaned.get("scheduled_end")
    if start and end and end < start:
        problems.append(Problem(ErrorCode.VALIDATION, "the end is before the start", ("input", "scheduledEnd")))
    if problems:
        raise DomainError(problems=problems)
    return cleaned


async def create_activity(
    session: AsyncSession, scope: Scope, activity_type: str, values: Mapping[str, Any], now: datetime, *,
    regarding_id: uuid.UUID | None = None, parties: Sequence[PartyRef] = (), owner_id: uuid.UUID | None = None,
    state: str | None = None, client_mutation_id: str | None = None,
) -> Activity:
    operation = f"create:{activity_type}"
    earlier = await replayed(session, scope.user_id, operation, client_mutation_id)
    if earlier is not None:
        row = await session.get(Activity, earlier)
        if row is None:
            raise not_found("activity", ("input", "clientMutationId"))
        return row
    cleaned = check_activity_fields({"subject": values.get("subject", ""), **values})
    owner = await owner_for(session, scope, owner_id, "activity", "create")
    regarding_type = None
    if regarding_id is not None:
        record = await any_record(session, scope, regarding_id, ("input", "regardingId"))
        scope.require("append_to", secured_type(record.type), record, record.type.lower())
        require_active(record, record.type.lower())
        regarding_type = record.type
    await check_parties(session, scope, parties)
    row = Activity(type=activity_type, state=state or states.INITIAL_STATE[activity_type],
                   priority=cleaned.pop("priority", None) or "NORMAL", regarding_id=regarding_id,
                   regarding_type=regarding_type, owner_id=owner.id,
                   owning_business_unit_id=owner.business_unit_id, attachment_count=0, note_count=0,
                   **cleaned)
    if not states.is_open(row.state) and row.actual_end is None:
        row.actual_end = now
    stamp_new(row, scope.user_id, now)
    session.add(row)
    await session.flush()
    await write_parties(session, row, parties)
    await session.flush()
    remember(session, scope.user_id, operation, client_mutation_id, row.id, now)
    await timeline_index.sync(session, [row.id], now, scope.user_id)
    return row

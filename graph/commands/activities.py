"""Creating activities (SPEC §3): check, write the row and its parties, index, publish.

Every create goes through `prepare` (fields, owner, regarding, parties: nothing written)
and then `insert` (row, parties, idempotency key, timeline index). The typed use cases
(`log_phone_call`, `send_email`, …) add their own rules between the two. Changes to
existing activities live in `activity_changes.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import scheduled_send, timeline_index
from graph.commands.common import any_record, owner_for, remember, replayed, require_on_record
from graph.commands.stamps import stamp_new
from graph.models import Activity, ActivityParty, Principal, Record
from graph.queries.metadata import type_label
from graph.rules import activities as fields
from graph.rules import activity_states as states
from graph.rules import mail as mail_rules
from graph.rules import tracking as tracking_rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, Problem, not_found
from graph.rules.rollup import PARTY_TIMELINE_TYPES

RECORD_PARTY_TYPES = frozenset({"CONTACT", "LEAD", "ACCOUNT"})
PRINCIPAL_PARTY_TYPES = frozenset({"USER", "TEAM"})


@dataclass(frozen=True)
class PartyRef:
    """A participant as given: a user/record by type and id, or a bare address.

    `path` is the input field it came from, so an error points at it.
    """

    role: str
    party_type: str | None = None
    party_id: uuid.UUID | None = None
    address: str | None = None
    path: tuple[str, ...] | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "party_type": self.party_type,
                "party_id": str(self.party_id) if self.party_id else None,
                "address": self.address.strip() if self.address else None}


Resolved = dict[uuid.UUID, Record | Principal]


async def check_parties(session: AsyncSession, scope: Scope, parties: Sequence[PartyRef]) -> Resolved:
    """Every party names a readable record or an existing principal, or is a bare address.

    Returns the rows found, by id, for rules that look at a party (its phone numbers).
    """
    problems: list[Problem] = []
    found: Resolved = {}
    for i, party in enumerate(parties):
        path = party.path or ("input", "parties", str(i))
        if party.role not in states.PARTY_ROLES:
            problems.append(Problem(ErrorCode.VALIDATION, f"unknown party role {party.role}", path))
        if party.party_id is None:
            if not party.address or not party.address.strip():
                problems.append(Problem(ErrorCode.VALIDATION, "a party needs a partyId or an address", path))
            elif len(party.address.strip()) > 320:
                problems.append(Problem(ErrorCode.VALIDATION, "an address is longer than 320 characters", path))
            continue
        if party.party_type in PRINCIPAL_PARTY_TYPES:
            principal = await session.get(Principal, party.party_id)
            if principal is None or principal.kind.upper() != party.party_type:
                problems.append(Problem(ErrorCode.NOT_FOUND, "party not found", (*path, "partyId")))
            else:
                found[principal.id] = principal
        elif party.party_type in RECORD_PARTY_TYPES:
            try:
                record = await any_record(session, scope, party.party_id, (*path, "partyId"))
            except DomainError as error:
                problems.extend(error.problems)
                continue
            if record.type != party.party_type:
                problems.append(Problem(ErrorCode.NOT_FOUND, "party not found", (*path, "partyId")))
            else:
                found[record.id] = record
        else:
            problems.append(Problem(ErrorCode.VALIDATION, "a party is a user, team, contact, lead or account", path))
    if problems:
        raise DomainError(problems=problems)
    return found


async def write_parties(session: AsyncSession, activity: Activity, parties: Sequence[PartyRef]) -> None:
    """The party rows (for queries) and their copy on the activity (for pages)."""
    if parties:
        await session.execute(insert(ActivityParty), [
            {"activity_id": activity.id, "role": p.role, "party_type": p.party_type,
             "party_id": p.party_id, "address": p.address.strip() if p.address else None}
            for p in parties
        ])
    activity.party_list = [p.as_json() for p in parties]


def with_default(parties: Sequence[PartyRef], role: str, user_id: uuid.UUID) -> list[PartyRef]:
    """The viewer takes `role` (the caller, the sender, the organizer) unless someone was given."""
    if any(p.role == role for p in parties):
        return list(parties)
    return [PartyRef(role, "USER", user_id), *parties]


def reachable(party: PartyRef | None, resolved: Resolved) -> fields.Reachable | None:
    """What the phone rules need to know about one party."""
    if party is None:
        return None
    if party.party_id is None:
        return fields.Reachable(name=(party.address or "").strip(), address=party.address, email=party.address)
    row = resolved.get(party.party_id)
    if row is None:
        return None
    if isinstance(row, Record):
        return fields.Reachable(name=row.name, business_phone=row.phone, mobile_phone=row.mobile_phone,
                                do_not_phone=bool(getattr(row, "do_not_phone", False)),
                                do_not_text=bool(getattr(row, "do_not_text", False)),
                                email=row.email, do_not_email=bool(getattr(row, "do_not_email", False)))
    return fields.Reachable(name=row.name, business_phone=getattr(row, "business_phone", None),
                            mobile_phone=getattr(row, "mobile_phone", None), email=getattr(row, "email", None))


async def regarding_type(session: AsyncSession, scope: Scope, regarding_id: uuid.UUID | None,
                         field_path: tuple[str, ...] = ("input", "regardingId")) -> str | None:
    """R-ACT-5: the regarding record must be readable, appendable to, and active (R-REC-2)."""
    if regarding_id is None:
        return None
    record = await any_record(session, scope, regarding_id, field_path)
    what = record.type.lower()
    await require_on_record(session, scope, record, "append_to", what, field_path)
    if not record.is_active:
        raise DomainError(ErrorCode.DEACTIVATED,
                          f"{await type_label(session, record.type)} '{record.name}' is {record.state.lower()}: "
                          "no activity can be linked to it", field_path)
    return record.type


@dataclass
class Draft:
    """A checked activity, not yet written."""

    activity_type: str
    values: dict[str, Any]
    owner: Principal
    regarding_id: uuid.UUID | None
    regarding_type: str | None
    parties: list[PartyRef]
    resolved: Resolved

    def first(self, role: str) -> PartyRef | None:
        return next((p for p in self.parties if p.role == role), None)


async def prepare(
    session: AsyncSession, scope: Scope, activity_type: str, values: Mapping[str, Any], *,
    regarding_id: uuid.UUID | None = None, parties: Sequence[PartyRef] = (), owner_id: uuid.UUID | None = None,
    names: Mapping[str, str] | None = None,
) -> Draft:
    """Check everything a new activity needs; raise all field problems at once."""
    cleaned = fields.check_fields(activity_type, {"subject": values.get("subject", ""), **values},
                                  creating=True, names=names)
    owner = await owner_for(session, scope, owner_id, "activity", "create")
    kind = await regarding_type(session, scope, regarding_id)
    resolved = await check_parties(session, scope, parties)
    return Draft(activity_type, cleaned, owner, regarding_id, kind, list(parties), resolved)


async def insert_activity(
    session: AsyncSession, scope: Scope, draft: Draft, now: datetime, *,
    state: str | None = None, client_mutation_id: str | None = None,
) -> Activity:
    values = dict(draft.values)
    priority = values.pop("priority", None) or "NORMAL"
    if draft.activity_type in fields.DUE_FROM_START:
        values["due"] = fields.effective_due(draft.activity_type, values.get("due"), values.get("scheduled_start"))
    row = Activity(type=draft.activity_type, state=state or states.INITIAL_STATE[draft.activity_type],
                   priority=priority, regarding_id=draft.regarding_id, regarding_type=draft.regarding_type,
                   owner_id=draft.owner.id, owning_business_unit_id=draft.owner.business_unit_id,
                   attachment_count=0, note_count=0, **values)
    row.status_reason = states.status_reason(row.type, row.state, row.direction)
    if not states.is_open(row.state) and row.actual_end is None:
        row.actual_end = now
    stamp_new(row, scope.user_id, now)
    session.add(row)
    await session.flush()
    await write_parties(session, row, draft.parties)
    await session.flush()
    remember(session, scope.user_id, f"create:{draft.activity_type}", client_mutation_id, row.id, now)
    on_timelines = [p.party_id for p in draft.parties
                    if p.party_id is not None and p.party_type in PARTY_TIMELINE_TYPES]
    await timeline_index.sync_new(session, row, on_timelines, now, scope.user_id)
    return row


async def earlier_result(session: AsyncSession, scope: Scope, activity_type: str,
                         client_mutation_id: str | None) -> Activity | None:
    """R-API-2: the activity an earlier call with this clientMutationId created."""
    earlier = await replayed(session, scope.user_id, f"create:{activity_type}", client_mutation_id)
    if earlier is None:
        return None
    row = await session.get(Activity, earlier)
    if row is None:
        raise not_found("activity", ("input", "clientMutationId"))
    return row


async def create_activity(
    session: AsyncSession, scope: Scope, activity_type: str, values: Mapping[str, Any], now: datetime, *,
    regarding_id: uuid.UUID | None = None, parties: Sequence[PartyRef] = (), owner_id: uuid.UUID | None = None,
    state: str | None = None, client_mutation_id: str | None = None,
) -> Activity:
    """Any type with no rules of its own beyond the common ones (tasks)."""
    earlier = await earlier_result(session, scope, activity_type, client_mutation_id)
    if earlier is not None:
        return earlier
    draft = await prepare(session, scope, activity_type, values, regarding_id=regarding_id, parties=parties,
                          owner_id=owner_id)
    return await insert_activity(session, scope, draft, now, state=state, client_mutation_id=client_mutation_id)


@dataclass(frozen=True)
class Common:
    """What every typed create takes besides its own fields."""

    regarding_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    client_mutation_id: str | None = None
    acknowledge_warnings: bool = False


async def log_phone_call(
    session: AsyncSession, scope: Scope, values: Mapping[str, Any], parties: Sequence[PartyRef],
    now: datetime, common: Common, *, state: str | None = None,
) -> Activity:
    """R-CALL-1: a call that happened (COMPLETED), or a planned one (`state` OPEN).

    The caller is FROM (default: you, for an outgoing call; TO is you for an incoming
    one). No number given: the other person's business phone, else mobile, else an error.
    """
    earlier = await earlier_result(session, scope, "PHONE_CALL", common.client_mutation_id)
    if earlier is not None:
        return earlier
    return await _create_call_or_text(session, scope, "PHONE_CALL", values, parties, now, common,
                                      states.logged_call_state(state))


async def send_text_message(
    session: AsyncSession, scope: Scope, values: Mapping[str, Any], parties: Sequence[PartyRef],
    now: datetime, common: Common, *, from_number: str | None = None,
) -> Activity:
    """R-SMS-1: recorded as COMPLETED (sent, or received when INCOMING); needs a number. An
    outgoing text may name the number it went from (`from_number`, its FROM party)."""
    earlier = await earlier_result(session, scope, "TEXT_MESSAGE", common.client_mutation_id)
    if earlier is not None:
        return earlier
    sender = fields.check_from_number(from_number, values.get("direction"),
                                      any(p.role == "FROM" for p in parties))
    if sender is not None:
        parties = [PartyRef("FROM", address=sender, path=fields.FROM_NUMBER), *parties]
    values = dict(values)
    text = fields.check_text(values.pop("text", None))
    values["description"] = text
    values["subject"] = (values.get("subject") or "").strip() or fields.subject_from_text(text)
    return await _create_call_or_text(session, scope, "TEXT_MESSAGE", values, parties, now, common, "COMPLETED")


async def _create_call_or_text(
    session: AsyncSession, scope: Scope, activity_type: str, values: Mapping[str, Any],
    parties: Sequence[PartyRef], now: datetime, common: Common, state: str,
) -> Activity:
    direction = fields.check_direction(values.get("direction"))
    own_role, other_role = ("FROM", "TO") if direction == "OUTGOING" else ("TO", "FROM")
    draft = await prepare(session, scope, activity_type, {**values, "direction": direction},
                          regarding_id=common.regarding_id, owner_id=common.owner_id,
                          parties=with_default(parties, own_role, scope.user_id))
    other = reachable(draft.first(other_role), draft.resolved)
    what = "person called" if activity_type == "PHONE_CALL" else "recipient"
    if direction == "INCOMING":
        what = "caller" if activity_type == "PHONE_CALL" else "sender"
    draft.values["phone_number"] = fields.choose_phone_number(draft.values.get("phone_number"), other, what=what)
    if direction == "OUTGOING":
        fields.contact_warning(other, activity_type, common.acknowledge_warnings)
    return await insert_activity(session, scope, draft, now, state=state,
                                 client_mutation_id=common.client_mutation_id)


async def send_email(
    session: AsyncSession, scope: Scope, values: Mapping[str, Any], parties: Sequence[PartyRef],
    now: datetime, common: Common, *, send_at: datetime | None = None, queued: bool = False,
    message_id_domain: str = mail_rules.DEFAULT_MESSAGE_ID_DOMAIN,
) -> Activity:
    """R-MAIL-1: recorded as SENT, with a Message-ID (the one given, or a new one: stored
    without angle brackets, like tracked mail); FROM defaults to you. Every recipient needs an address and
    `doNotEmail` needs `acknowledge_warnings`. R-MAIL-2: with `send_at` (or `queued`, when the
    configured sender delivers outside Relate) it waits in PENDING_SEND for the scheduler."""
    earlier = await earlier_result(session, scope, "EMAIL", common.client_mutation_id)
    if earlier is not None:
        return earlier
    if not any(p.role in ("TO", "CC", "BCC") for p in parties):
        raise DomainError(ErrorCode.VALIDATION, "an email needs at least one recipient (to, cc or bcc)",
                          ("input", "to"))
    draft = await prepare(session, scope, "EMAIL", values, regarding_id=common.regarding_id,
                          owner_id=common.owner_id, parties=with_default(parties, "FROM", scope.user_id))
    mail_rules.check_recipients(recipients(draft), common.acknowledge_warnings)
    given = mail_rules.stored_message_id(draft.values.get("message_id"))
    if given and await session.scalar(select(Activity.id).where(
            Activity.message_id.in_(tracking_rules.message_id_spellings(given)))):
        raise DomainError(ErrorCode.DUPLICATE, "an email with this message id is already recorded",
                          ("input", "messageId"))
    draft.values["message_id"] = given or mail_rules.new_message_id(message_id_domain)
    draft.values["in_reply_to"] = mail_rules.stored_message_id(draft.values.get("in_reply_to"))
    if send_at is None and not queued:
        draft.values["sent_on"] = now
        return await insert_activity(session, scope, draft, now, state="SENT",
                                     client_mutation_id=common.client_mutation_id)
    draft.values["send_at"] = mail_rules.check_send_at(send_at, now) if send_at is not None else now
    row = await insert_activity(session, scope, draft, now, state="PENDING_SEND",
                                client_mutation_id=common.client_mutation_id)
    await scheduled_send.enqueue(session, row, now)
    return row


def recipients(draft: Draft) -> list[tuple[fields.Reachable, tuple[str, ...]]]:
    """R-MAIL-1: the TO/CC/BCC parties as the email rules see them, each with its input path."""
    found = []
    for i, party in enumerate(draft.parties):
        who = reachable(party, draft.resolved) if party.role in mail_rules.RECIPIENT_ROLES else None
        if who is not None:
            found.append((who, party.path or ("input", "parties", str(i))))
    return found


APPOINTMENT_NAMES = {"scheduled_start": "start", "scheduled_end": "end"}


async def create_appointment(
    session: AsyncSession, scope: Scope, values: Mapping[str, Any], parties: Sequence[PartyRef],
    now: datetime, common: Common,
) -> Activity:
    """R-APPT-1: start and end (end ≥ start), SCHEDULED; the organizer defaults to you."""
    earlier = await earlier_result(session, scope, "APPOINTMENT", common.client_mutation_id)
    if earlier is not None:
        return earlier
    draft = await prepare(session, scope, "APPOINTMENT", values, regarding_id=common.regarding_id,
                          owner_id=common.owner_id, parties=with_default(parties, "ORGANIZER", scope.user_id),
                          names=APPOINTMENT_NAMES)
    return await insert_activity(session, scope, draft, now, state="SCHEDULED",
                                 client_mutation_id=common.client_mutation_id)

"""Tracking email and meetings from a mail client (R-TRACK-1…5).

`track_email` and `track_appointment` save what a mail-client add-in (or the .eml/.ics
importer) sends: parties resolved by address, optionally a regarding record, chosen
attachments. Once only (R-TRACK-2) is the database's job: the insert runs in a SAVEPOINT
and a unique violation on the message id / iCalendar UID means someone else saved it
first, so we read theirs and say "already tracked". A read-then-write check alone would
let two concurrent saves both pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.activities import (
    APPOINTMENT_NAMES,
    PartyRef,
    insert_activity,
    prepare,
    regarding_type,
    write_parties,
)
from graph.commands.attachments import IncomingFile, load_policy, store_attachment
from graph.commands.stamps import stamp_change
from graph.files import FileStore
from graph.models import Activity, ActivityParty, Attachment
from graph.queries.tracking import Match, resolve_addresses
from graph.rules import activities as fields
from graph.rules import activity_states as states
from graph.rules import tracking as rules
from graph.rules.access import Scope
from graph.rules.attachments import clean_file_name
from graph.rules.errors import DomainError, ErrorCode

CREATED = "CREATED"
ALREADY_TRACKED = "ALREADY_TRACKED"
UPDATED = "UPDATED"
NOT_TRACKED = "NOT_TRACKED"


@dataclass
class ChosenFile:
    """An attachment the user chose to keep; `inline` ones (images in the body) are skipped."""

    incoming: IncomingFile
    inline: bool = False


@dataclass
class TrackedEmail:
    message_id: str | None
    subject: str | None = None
    body_html: str | None = None
    sender: str | None = None
    to: Sequence[str] = ()
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    sent_on: datetime | None = None
    in_reply_to: str | None = None
    categories: Sequence[str] = ()
    is_draft: bool = False
    attachments: Sequence[ChosenFile] = ()


@dataclass
class TrackedMeeting:
    ical_uid: str | None
    subject: str | None = None
    description: str | None = None
    organizer: str | None = None
    required: Sequence[str] = ()
    optional: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    online_meeting_url: str | None = None
    is_recurring: bool = False
    attachments: Sequence[ChosenFile] = ()


@dataclass(frozen=True)
class RefusedFile:
    file_name: str
    code: ErrorCode
    message: str


@dataclass
class TrackResult:
    """What happened: the activity (None if the viewer may not read it, or nothing was saved)."""

    outcome: str
    activity: Activity | None = None
    auto_linked: bool = False
    saved_files: list[Attachment] = field(default_factory=list)
    refused_files: list[RefusedFile] = field(default_factory=list)
    skipped_inline: list[str] = field(default_factory=list)


# --- email -----------------------------------------------------------------------------

async def track_email(
    session: AsyncSession, scope: Scope, store: FileStore, mail: TrackedEmail, now: datetime, *,
    regarding_id: uuid.UUID | None = None, only_replies: bool = False,
) -> TrackResult:
    """R-TRACK-1/2/3/4/5 for an email. `only_replies`: save it only if it answers tracked mail
    (what a mailbox sync offers for every message it sees)."""
    message_id = rules.require_id(rules.normalise_message_id(mail.message_id), "a message id",
                                  ("input", "messageId"))
    existing = await email_by_message_id(session, [message_id])
    if existing is not None:
        return already_tracked(scope, existing)
    rules.ensure_sent(mail.is_draft)
    rules.check_sent_on(mail.sent_on)
    replied = rules.replied_ids(mail.in_reply_to)
    original = await email_by_message_id(session, replied) if replied else None
    if only_replies and original is None:
        return TrackResult(NOT_TRACKED)
    auto_linked = False
    if regarding_id is None and original is not None and await _may_link(session, scope, original.regarding_id):
        regarding_id, auto_linked = original.regarding_id, True
    parties, _ = await resolve_parties(session, scope, [
        ("FROM", [mail.sender] if mail.sender else []), ("TO", mail.to), ("CC", mail.cc), ("BCC", mail.bcc),
    ])
    state = rules.email_state(any(p.role == "FROM" and p.party_type == "USER" for p in parties))
    sent_on = mail.sent_on or now
    values = {"subject": rules.tracked_subject(mail.subject), "body_html": mail.body_html,
              "message_id": message_id, "in_reply_to": replied[0] if replied else None,
              "categories": list(mail.categories), "sent_on": sent_on, "actual_end": sent_on, "is_tracked": True}
    draft = await prepare(session, scope, "EMAIL", values, regarding_id=regarding_id, parties=parties)
    try:
        async with session.begin_nested():
            row = await insert_activity(session, scope, draft, now, state=state)
    except IntegrityError:
        winner = await email_by_message_id(session, [message_id])
        if winner is None:
            raise
        return already_tracked(scope, winner)
    result = TrackResult(CREATED, row, auto_linked=auto_linked)
    await save_files(session, store, row, mail.attachments, scope.user_id, now, result)
    return result


async def email_by_message_id(session: AsyncSession, message_ids: Iterable[str]) -> Activity | None:
    """The email saved under any of these ids (either spelling), whoever may read it."""
    spellings = [s for m in message_ids for s in rules.message_id_spellings(m)]
    return await session.scalar(
        select(Activity).where(Activity.type == "EMAIL", Activity.message_id.in_(spellings))
        .order_by(Activity.created_on, Activity.id).limit(1)
    )


async def _may_link(session: AsyncSession, scope: Scope, record_id: uuid.UUID | None) -> bool:
    """A reply inherits the original's regarding record only if the viewer could link it."""
    if record_id is None:
        return False
    try:
        await regarding_type(session, scope, record_id)
    except DomainError:
        return False
    return True


def already_tracked(scope: Scope, row: Activity) -> TrackResult:
    readable = scope.can("read", "activity", row)
    return TrackResult(ALREADY_TRACKED, row if readable else None)


# --- meetings ----------------------------------------------------------------------------

async def track_appointment(
    session: AsyncSession, scope: Scope, store: FileStore, meeting: TrackedMeeting, now: datetime, *,
    regarding_id: uuid.UUID | None = None,
) -> TrackResult:
    """R-TRACK-3 for a meeting: saved at once; a later save of the same UID updates it;
    recurring ones refused; every participating user's working hours respected."""
    uid = rules.require_id((meeting.ical_uid or "").strip() or None, "an iCalendar UID", ("input", "icalUid"))
    rules.ensure_not_recurring(meeting.is_recurring)
    start, end = rules.check_meeting_times(meeting.start, meeting.end)
    parties, matches = await resolve_parties(session, scope, [
        ("ORGANIZER", [meeting.organizer] if meeting.organizer else []),
        ("REQUIRED_ATTENDEE", meeting.required), ("OPTIONAL_ATTENDEE", meeting.optional),
    ])
    users = {m.user.id: m.user for m in matches.values() if m.user is not None}
    rules.check_working_hours(start, end, [
        rules.Participant(u.name, u.working_hours, u.time_zone) for u in users.values()])
    values = {"subject": rules.tracked_subject(meeting.subject), "description": meeting.description,
              "scheduled_start": start, "scheduled_end": end, "location": meeting.location,
              "online_meeting_url": meeting.online_meeting_url, "ical_uid": uid, "is_tracked": True}
    existing = await meeting_by_uid(session, uid)
    if existing is not None:
        return await _update_meeting(session, scope, store, existing, values, parties, regarding_id,
                                     meeting.attachments, now)
    draft = await prepare(session, scope, "APPOINTMENT", values, regarding_id=regarding_id, parties=parties,
                          names=APPOINTMENT_NAMES)
    try:
        async with session.begin_nested():
            row = await insert_activity(session, scope, draft, now, state="SCHEDULED")
    except IntegrityError:
        winner = await meeting_by_uid(session, uid)
        if winner is None:
            raise
        return await _update_meeting(session, scope, store, winner, values, parties, regarding_id,
                                     meeting.attachments, now)
    result = TrackResult(CREATED, row)
    await save_files(session, store, row, meeting.attachments, scope.user_id, now, result)
    return result


async def meeting_by_uid(session: AsyncSession, uid: str) -> Activity | None:
    return await session.scalar(
        select(Activity).where(Activity.ical_uid == uid).with_for_update()
    )


async def _update_meeting(
    session: AsyncSession, scope: Scope, store: FileStore, row: Activity, values: dict[str, Any],
    parties: Sequence[PartyRef], regarding_id: uuid.UUID | None, files: Sequence[ChosenFile], now: datetime,
) -> TrackResult:
    """A later save of a tracked meeting: its times, place, text and attendees follow the
    mail client; the regarding record changes only when one is given. Someone who may not
    change the activity gets it back as already tracked, unchanged."""
    if row.type != "APPOINTMENT" or not scope.can("write", "activity", row):
        return already_tracked(scope, row)
    cleaned = fields.check_fields("APPOINTMENT", values, creating=False, names=APPOINTMENT_NAMES)
    new_parties = [p.as_json() for p in parties]
    relink = regarding_id is not None and regarding_id != row.regarding_id
    changed = relink or new_parties != (row.party_list or []) or any(
        getattr(row, k) != v for k, v in cleaned.items())
    result = TrackResult(UPDATED if changed else ALREADY_TRACKED, row)
    if changed:
        states.require_editable(row.state, "meeting")
        if relink:
            row.regarding_type = await regarding_type(session, scope, regarding_id)
            row.regarding_id = regarding_id
        for name, value in cleaned.items():
            setattr(row, name, value)
        row.due = fields.effective_due("APPOINTMENT", row.due, row.scheduled_start)
        await replace_parties(session, row, parties)
        stamp_change(row, scope.user_id, now, None)
        await session.flush()
        await timeline_index.sync(session, [row.id], now, scope.user_id)
    have = set(await session.scalars(select(Attachment.file_name).where(Attachment.activity_id == row.id)))
    new_files = [f for f in files if clean_file_name(f.incoming.file_name) not in have]
    await save_files(session, store, row, new_files, scope.user_id, now, result)
    if result.saved_files and result.outcome == ALREADY_TRACKED:
        result.outcome = UPDATED
    return result


# --- shared steps ------------------------------------------------------------------------

async def resolve_parties(
    session: AsyncSession, scope: Scope, by_role: Sequence[tuple[str, Sequence[str]]],
) -> tuple[list[PartyRef], dict[str, Match]]:
    """Each address once per role, resolved to a user, contact, lead or account if one has
    it (R-TRACK-1), else kept as a bare address (R-ACT-4)."""
    addresses = [(role, rules.split_addresses(values)) for role, values in by_role]
    matches = await resolve_addresses(session, scope, {a for _, found in addresses for a in found})
    parties: list[PartyRef] = []
    for role, found in addresses:
        for address in found:
            match = matches.get(address)
            parties.append(PartyRef(role, match.party_type, match.party_id, address) if match
                           else PartyRef(role, address=address))
    return parties, matches


async def replace_parties(session: AsyncSession, row: Activity, parties: Sequence[PartyRef]) -> None:
    await session.execute(delete(ActivityParty).where(ActivityParty.activity_id == row.id))
    await write_parties(session, row, parties)


async def save_files(
    session: AsyncSession, store: FileStore, owner: Activity, files: Sequence[ChosenFile],
    actor_id: uuid.UUID, now: datetime, result: TrackResult,
) -> None:
    """R-TRACK-4: each chosen file under R-ATT-1; inline images skipped; a refused file is
    reported and the item stays saved. The policy is read once, not per file."""
    if not files:
        return
    policy = await load_policy(session)
    for chosen in files:
        name = clean_file_name(chosen.incoming.file_name)
        if chosen.inline:
            result.skipped_inline.append(name)
            continue
        try:
            saved = await store_attachment(session, store, policy, owner, chosen.incoming, actor_id, now)
        except DomainError as refused:
            result.refused_files.append(RefusedFile(name, refused.code, refused.problems[0].message))
        else:
            result.saved_files.append(saved)

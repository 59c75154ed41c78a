"""Reaching the customer from a work-list item (R-WL-3 with R-CALL-1, R-MAIL-1, R-SMS-1).

"Call / email / text / join meeting from a step creates (or opens) the matching activity,
linked to the record." When the item's own activity is of the matching kind and still
open, that activity is the one filled in (the step's call, draft email or text);
otherwise a new activity regarding the item's record is made with the ordinary activity
commands. The person reached defaults to the record's person: a lead itself; for an
opportunity or case its customer contact, or its customer account's primary contact (or
the account). The number and address rules are the activity rules, not copies of them.

A sent (or scheduled) email and a sent text finish their step: the step moves to the
completed list and the next one starts. A call stays OPEN until the step is completed, so
the seller can note how it went.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import activities as creates
from graph.commands import scheduled_send, sequences, step_progress, steps, timeline_index
from graph.commands.activities import PartyRef, check_parties, reachable, with_default, write_parties
from graph.commands.stamps import stamp_change
from graph.models import Activity, ActivityParty, Record, RecordStep
from graph.rules import activities as fields
from graph.rules import activity_states as states
from graph.rules import mail as mail_rules
from graph.rules import sequences as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import PHONE

ID = steps.ID


@dataclass
class Reached:
    """The activity made or filled in, and the step that became current (if one did)."""

    item: steps.Item
    activity: Activity
    next_step: RecordStep | None = None


async def default_party(session: AsyncSession, record: Record | None, role: str = "TO") -> PartyRef | None:
    """The person a record stands for, as a party of `role`."""
    if record is None:
        return None
    target = record
    if record.type in ("OPPORTUNITY", "CASE") and record.customer_id is not None:
        target = await session.get(Record, record.customer_id) or record
    if target.type == "ACCOUNT" and getattr(target, "primary_contact_id", None):
        target = await session.get(Record, target.primary_contact_id) or target
    if target.type not in creates.RECORD_PARTY_TYPES:
        return None
    return PartyRef(role, target.type, target.id, path=("input", role.lower()))


async def _replace_parties(session: AsyncSession, activity: Activity, parties: Sequence[PartyRef]) -> None:
    await session.execute(delete(ActivityParty).where(ActivityParty.activity_id == activity.id))
    await write_parties(session, activity, parties)


async def _save(session: AsyncSession, scope: Scope, activity: Activity, now: datetime) -> None:
    stamp_change(activity, scope.user_id, now, None)
    await session.flush()
    await timeline_index.sync(session, [activity.id], now, scope.user_id)


def _own_open(item: steps.Item, activity_type: str, open_states: frozenset[str]) -> bool:
    return item.activity.type == activity_type and item.activity.state in open_states


async def _fillable(session: AsyncSession, scope: Scope, item: steps.Item) -> None:
    """Filling in the item's own activity changes it: write access and a current step."""
    scope.require("write", "activity", item.activity, "activity", ID)
    steps.require_current(item)


def _number(value: str | None, field: tuple[str, ...]) -> str | None:
    cleaned = (value or "").strip() or None
    if cleaned is not None and not PHONE.match(cleaned):
        raise DomainError(ErrorCode.VALIDATION, f"'{cleaned}' is not a phone number", field)
    return cleaned


async def call(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, now: datetime, *,
               to: PartyRef | None = None, phone_number: str | None = None,
               acknowledge_warnings: bool = False) -> Reached:
    """R-CALL-1 from an item: from you, to the person, on the number given or else their
    business phone, else their mobile (none: MISSING_CONTACT_POINT), OUTGOING; `doNotPhone`
    needs `acknowledge_warnings`. The subject is the item's."""
    item = await steps.item_for(session, scope, activity_id, "read")
    number = _number(phone_number, ("input", "phoneNumber"))
    person = to or await default_party(session, item.record)
    if _own_open(item, "PHONE_CALL", frozenset({"OPEN"})):
        await _fillable(session, scope, item)
        parties = [PartyRef("FROM", "USER", scope.user_id), *([person] if person else [])]
        resolved = await check_parties(session, scope, parties)
        other = reachable(person, resolved)
        item.activity.phone_number = fields.choose_phone_number(number, other, what="person called")
        fields.contact_warning(other, "PHONE_CALL", acknowledge_warnings)
        item.activity.direction = "OUTGOING"
        await _replace_parties(session, item.activity, parties)
        await _save(session, scope, item.activity, now)
        activity = item.activity
    else:
        activity = await creates.log_phone_call(
            session, scope, {"subject": item.activity.subject, "phone_number": number, "direction": "OUTGOING",
                             "due": now},
            [person] if person else [], now,
            creates.Common(regarding_id=item.record_id, acknowledge_warnings=acknowledge_warnings), state="OPEN")
    await sequences.notify(session, [activity.owner_id], item.record_id, "CALLED", scope.user_id, now)
    return Reached(item, activity)


async def email(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, now: datetime, *,
                to: Sequence[PartyRef] = (), cc: Sequence[PartyRef] = (), subject: str | None = None,
                body_html: str | None = None, send_at: datetime | None = None, queued: bool = False,
                acknowledge_warnings: bool = False,
                message_id_domain: str = mail_rules.DEFAULT_MESSAGE_ID_DOMAIN) -> Reached:
    """R-MAIL-1 from an item: to the person (or those given); a recipient without an address
    is refused, `doNotEmail` warns. Sent now, or PENDING_SEND until `send_at` (R-MAIL-2)."""
    item = await steps.item_for(session, scope, activity_id, "read")
    person = await default_party(session, item.record)
    recipients = list(to) or ([person] if person else [])
    if not recipients:
        raise DomainError(ErrorCode.VALIDATION, "this record has no person to email: give `to`", ("input", "to"))
    parties = [*recipients, *cc]
    values = {"subject": subject or item.activity.subject, "body_html": body_html}
    if not _own_open(item, "EMAIL", frozenset({"DRAFT"})):
        activity = await creates.send_email(
            session, scope, values, parties, now,
            creates.Common(regarding_id=item.record_id, acknowledge_warnings=acknowledge_warnings),
            send_at=send_at, queued=queued, message_id_domain=message_id_domain)
        await sequences.notify(session, [activity.owner_id], item.record_id, "EMAILED", scope.user_id, now)
        return Reached(item, activity)
    await _fillable(session, scope, item)
    cleaned = fields.check_fields("EMAIL", values, creating=True)
    parties = with_default(parties, "FROM", scope.user_id)
    resolved = await check_parties(session, scope, parties)
    mail_rules.check_recipients(
        [(who, p.path or ("input", "to")) for p in parties if p.role in mail_rules.RECIPIENT_ROLES
         if (who := reachable(p, resolved)) is not None], acknowledge_warnings)
    activity = item.activity
    activity.subject, activity.body_html = cleaned["subject"], cleaned.get("body_html")
    activity.message_id = activity.message_id or mail_rules.new_message_id(message_id_domain)
    await _replace_parties(session, activity, parties)
    if send_at is not None or queued:
        activity.send_at = mail_rules.check_send_at(send_at, now) if send_at is not None else now
        activity.state = "PENDING_SEND"
        await scheduled_send.enqueue(session, activity, now)
    else:
        activity.state, activity.actual_end, activity.sent_on = "SENT", now, now
    activity.status_reason = states.status_reason(activity.type, activity.state, activity.direction)
    await _save(session, scope, activity, now)
    next_step = await _step_done(session, scope, item, now)
    return Reached(item, activity, next_step)


async def text(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, now: datetime, *, text: str | None,
               to: PartyRef | None = None, phone_number: str | None = None, from_number: str | None = None,
               acknowledge_warnings: bool = False) -> Reached:
    """R-SMS-1 from an item: needs a number for the recipient, business before mobile when
    chosen for you; you may pick the number sent from and to. `doNotText` warns."""
    item = await steps.item_for(session, scope, activity_id, "read")
    number = _number(phone_number, ("input", "phoneNumber"))
    sender_number = _number(from_number, ("input", "fromNumber"))
    sender = PartyRef("FROM", address=sender_number) if sender_number else PartyRef("FROM", "USER", scope.user_id)
    person = to or await default_party(session, item.record)
    parties = [sender, *([person] if person else [])]
    if not _own_open(item, "TEXT_MESSAGE", frozenset({"OPEN"})):
        activity = await creates.send_text_message(
            session, scope, {"text": text, "phone_number": number, "direction": "OUTGOING"}, parties, now,
            creates.Common(regarding_id=item.record_id, acknowledge_warnings=acknowledge_warnings))
        await sequences.notify(session, [activity.owner_id], item.record_id, "TEXTED", scope.user_id, now)
        return Reached(item, activity)
    await _fillable(session, scope, item)
    body = fields.check_text(text)
    resolved = await check_parties(session, scope, parties)
    other = reachable(person, resolved)
    activity = item.activity
    activity.phone_number = fields.choose_phone_number(number, other, what="recipient")
    fields.contact_warning(other, "TEXT_MESSAGE", acknowledge_warnings)
    activity.description, activity.direction = body, "OUTGOING"
    activity.state, activity.actual_end = "COMPLETED", now
    activity.status_reason = states.status_reason(activity.type, activity.state, activity.direction)
    await _replace_parties(session, activity, parties)
    await _save(session, scope, activity, now)
    next_step = await _step_done(session, scope, item, now)
    return Reached(item, activity, next_step)


async def _step_done(session: AsyncSession, scope: Scope, item: steps.Item, now: datetime) -> RecordStep | None:
    """The item's own activity went out: a sent one moves its sequence by the one rule in
    `step_progress`; a scheduled email ends the step too, as the seller's part is done."""
    if item.step is None:
        return None
    if states.is_closed(item.activity.state):
        return (await step_progress.follow_closed(session, scope, [item.activity.id], now)).get(item.activity.id)
    return await step_progress.end_step(session, scope, item.step, rules.DONE, now)


async def join_meeting(session: AsyncSession, scope: Scope, activity_id: uuid.UUID) -> Reached:
    """Open the item's meeting (its link, attendees, time); nothing changes."""
    item = await steps.item_for(session, scope, activity_id, "read")
    if item.activity.type != "APPOINTMENT":
        raise DomainError(ErrorCode.VALIDATION, "this item is not a meeting", ID)
    return Reached(item, item.activity)

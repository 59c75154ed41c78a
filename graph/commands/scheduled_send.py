"""Scheduled send on the database side (R-MAIL-2): queue, claim, record sent or failed.

The loop that calls these lives in `server/scheduler.py`, which also says what each kind
of sender promises. Every function here runs inside the caller's transaction and never
commits. A change of state is always one conditional UPDATE (`... WHERE state =
'PENDING_SEND'`): whichever process or restart gets there first wins, the others change
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import timeline_index
from graph.commands.outbox import publish
from graph.events import Event, record_topic
from graph.mail.message import OutgoingEmail
from graph.models import Activity, EmailSend, Principal, Record, RecordStep, User
from graph.models.base import UTCDateTime
from graph.rules.mail import DEFAULT_MESSAGE_ID_DOMAIN, new_message_id, retry_delay, wire_message_id

PENDING = "PENDING_SEND"
activities = Activity.__table__
sends = EmailSend.__table__


@dataclass(frozen=True)
class MailDefaults:
    """What a message needs that the activity may not say."""

    from_address: str = "relate@localhost"
    message_id_domain: str = DEFAULT_MESSAGE_ID_DOMAIN


@dataclass(frozen=True)
class EmailSent(Event):
    """A scheduled (or queued) email went out: PENDING_SEND → SENT, once."""

    activity_id: uuid.UUID
    attempts: int
    kind: str = field(default="email.sent", init=False)

    def topics(self) -> list[str]:
        return [record_topic(self.activity_id)]

    def payload(self) -> dict[str, Any]:
        return {"activityId": str(self.activity_id), "attempts": self.attempts}


@dataclass(frozen=True)
class EmailSendFailed(Event):
    activity_id: uuid.UUID
    attempts: int
    error: str
    final: bool
    kind: str = field(default="email.send_failed", init=False)

    def topics(self) -> list[str]:
        return [record_topic(self.activity_id)]

    def payload(self) -> dict[str, Any]:
        return {"activityId": str(self.activity_id), "attempts": self.attempts, "error": self.error,
                "final": self.final}


async def enqueue(session: AsyncSession, activity: Activity, now: datetime) -> None:
    """The delivery row of an email just put in PENDING_SEND."""
    session.add(EmailSend(activity_id=activity.id, attempts=0, created_on=now))
    await session.flush()


def _due(now: datetime) -> Any:
    return (activities.c.state == PENDING) & (activities.c.send_at <= now)


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """A cheap read first, so an idle poll never takes the write lock."""
    return await session.scalar(select(activities.c.id).where(_due(now)).limit(1)) is not None


async def adopt_orphans(session: AsyncSession, now: datetime) -> None:
    """Due PENDING_SEND emails without a delivery row get one (rows written before this
    table existed, or by hand); a concurrent adopter's row wins quietly."""
    orphans = select(activities.c.id, literal(0), literal(now, UTCDateTime())).where(
        _due(now), ~exists().where(sends.c.activity_id == activities.c.id))
    dialect_insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        dialect_insert(sends).from_select(["activity_id", "attempts", "created_on"], orphans)
        .on_conflict_do_nothing(index_elements=["activity_id"])
    )


async def send_due_exactly_once(session: AsyncSession, send: Any, now: datetime, batch: int,
                                defaults: MailDefaults) -> int:
    """For a sender whose delivery is only Relate's record: state, attempt, event and the
    sender's call commit together. Returns how many went out."""
    await adopt_orphans(session, now)
    ids = list(await session.scalars(
        select(activities.c.id).where(_due(now)).order_by(activities.c.send_at).limit(batch)))
    sent = 0
    for activity_id in ids:
        if not await mark_sent(session, activity_id, now, count_attempt=True):
            continue  # another process or an earlier run got there first
        message, = await outgoing(session, [activity_id], defaults)
        await send(message)
        sent += 1
    return sent


async def claim(session: AsyncSession, now: datetime, worker: str, lease: timedelta, batch: int) -> list[uuid.UUID]:
    """Take up to `batch` due emails for `worker` until `now + lease`, in one UPDATE.

    A row another worker holds (lease not over) or already sent is not taken, even when
    two claims run at once: PostgreSQL re-checks the WHERE clause on a row a concurrent
    claim just changed, and SQLite runs one write transaction at a time.
    """
    await adopt_orphans(session, now)
    free = or_(sends.c.claimed_until.is_(None), sends.c.claimed_until <= now)
    due = (select(activities.c.id).join(sends, sends.c.activity_id == activities.c.id)
           .where(_due(now), sends.c.sent_on.is_(None), free)
           .order_by(activities.c.send_at).limit(batch))
    result = await session.execute(
        update(sends)
        .where(sends.c.activity_id.in_(due.scalar_subquery()), sends.c.sent_on.is_(None), free)
        .values(claimed_by=worker, claimed_until=now + lease, attempts=sends.c.attempts + 1)
        .returning(sends.c.activity_id)
    )
    return list(result.scalars())


async def mark_sent(session: AsyncSession, activity_id: uuid.UUID, now: datetime, *,
                    count_attempt: bool = False) -> bool:
    """PENDING_SEND → SENT, if it still is; the timeline and the outbox follow. False when
    the email was sent, canceled or changed by someone else first."""
    result = await session.execute(
        update(activities)
        .where(activities.c.id == activity_id, activities.c.state == PENDING)
        .values(state="SENT", status_reason="SENT", actual_end=now, sent_on=now, modified_on=now,
                version=activities.c.version + 1)
    )
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    if count_attempt and not changed:
        return False  # recording is the delivery: nothing happened, nothing to record
    attempts = sends.c.attempts + 1 if count_attempt else sends.c.attempts
    await session.execute(update(sends).where(sends.c.activity_id == activity_id)
                          .values(sent_on=now, claimed_until=None, last_error=None, attempts=attempts))
    if not changed:
        return False
    await session.get(Activity, activity_id, populate_existing=True)
    await timeline_index.sync(session, [activity_id], now, None)
    tries = await session.scalar(select(sends.c.attempts).where(sends.c.activity_id == activity_id))
    await publish(session, [EmailSent(activity_id, int(tries or 1))], None, now)
    await _move_sequence(session, activity_id, now)
    return True


async def mark_failed(session: AsyncSession, activity_id: uuid.UUID, error: str, now: datetime,
                      max_attempts: int) -> bool:
    """Record a failed delivery: try again after a growing delay, or give up after
    `max_attempts` (the email becomes CANCELED with reason SEND_FAILED). True if given up."""
    row = await session.get(EmailSend, activity_id, with_for_update=True, populate_existing=True)
    if row is None:
        return False
    row.last_error = error[:2000]
    final = row.attempts >= max_attempts
    row.claimed_until = None if final else now + retry_delay(row.attempts)
    if final:
        result = await session.execute(
            update(activities).where(activities.c.id == activity_id, activities.c.state == PENDING)
            .values(state="CANCELED", status_reason="SEND_FAILED", actual_end=now, modified_on=now,
                    version=activities.c.version + 1))
        if result.rowcount:  # type: ignore[attr-defined]
            await session.get(Activity, activity_id, populate_existing=True)
            await timeline_index.sync(session, [activity_id], now, None)
            await _move_sequence(session, activity_id, now)
    await session.flush()
    await publish(session, [EmailSendFailed(activity_id, row.attempts, row.last_error, final)], None, now)
    return final


async def _move_sequence(session: AsyncSession, activity_id: uuid.UUID, now: datetime) -> None:
    """A step's email that went out (or was given up on) moves its sequence by the one rule
    in `step_progress`, on behalf of whoever last changed the email (who scheduled it)."""
    from graph.commands import step_progress
    from graph.queries.principals import build_scope

    if await session.scalar(select(RecordStep.id).where(
            RecordStep.activity_id == activity_id, RecordStep.state == "OPEN")) is None:
        return  # the usual case: not a step's email, or its step ended when it was scheduled
    activity = await session.get(Activity, activity_id)
    user = await session.get(User, activity.modified_by_id) if activity is not None else None
    if user is None:
        return
    await step_progress.follow_closed(session, await build_scope(session, user), [activity_id], now)


async def outgoing(session: AsyncSession, ids: Sequence[uuid.UUID], defaults: MailDefaults) -> list[OutgoingEmail]:
    """The messages for these emails, addresses resolved from their parties. An email
    without a Message-ID gets one now, kept on the activity, so every retry repeats it."""
    rows = list(await session.scalars(select(Activity).where(Activity.id.in_(list(ids)))))
    party_ids = {uuid.UUID(p["party_id"]) for r in rows for p in r.party_list or () if p.get("party_id")}
    addresses: dict[uuid.UUID, str | None] = {}
    if party_ids:
        for pid, email in await session.execute(select(Record.id, Record.email).where(Record.id.in_(party_ids))):
            addresses[pid] = email
        for principal in await session.scalars(select(Principal).where(Principal.id.in_(party_ids))):
            addresses[principal.id] = getattr(principal, "email", None)
    found: dict[uuid.UUID, OutgoingEmail] = {}
    for row in rows:
        if not row.message_id:
            row.message_id = new_message_id(defaults.message_id_domain)
        by_role: dict[str, list[str]] = {}
        for party in row.party_list or ():
            address = party.get("address") or (addresses.get(uuid.UUID(party["party_id"]))
                                               if party.get("party_id") else None)
            if address:
                by_role.setdefault(party["role"], []).append(address)
        found[row.id] = OutgoingEmail(
            activity_id=row.id, message_id=wire_message_id(row.message_id),
            from_address=(by_role.get("FROM") or [defaults.from_address])[0],
            to=tuple(by_role.get("TO", ())), cc=tuple(by_role.get("CC", ())), bcc=tuple(by_role.get("BCC", ())),
            subject=row.subject, body_html=row.body_html,
            in_reply_to=wire_message_id(row.in_reply_to) if row.in_reply_to else None,
        )
    await session.flush()
    return [found[i] for i in ids if i in found]

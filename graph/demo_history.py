"""A few weeks of work on the demo organisation, so the first look at Relate is not empty.

Sam Seller's customer Import Sports and its contact Chris Preston get a history of every
activity type (calls, emails, meetings, a text message, tasks), notes, a tracked email
from Chris, a scheduled email, and a deal with a sequence in progress: Chris's timeline, Import Sports'
rolled-up timeline, Sam's work list and the activity report all have something to show.
Everything goes through the commands the API uses, so timelines, counts, work-list items
and events are exactly what real use would make.

Added once: the demo sequence's name marks it, so a second run (or a database seeded by an
earlier release, which had no history yet) gets it exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import activities, notes, sales, sequences, tracking
from graph.commands.activities import Common, PartyRef
from graph.files import FileStore
from graph.models import Record, User
from graph.models import Sequence as SequenceRow
from graph.queries.principals import build_scope
from graph.rules.sequences import StepSpec

SEQUENCE_NAME = "Demo: new customer follow-up"
SELLER = "sales1@demo.relate"
MANAGER = "manager@demo.relate"
DAY = timedelta(days=1)
# Tracking saves attached files here; the demo's tracked email has none, so nothing is written.
NO_FILES = FileStore(".")


@dataclass(frozen=True)
class DemoHistory:
    """The records a newcomer should open first (the demo link points at the account)."""

    account_id: uuid.UUID
    contact_id: uuid.UUID
    activities: int
    notes: int


async def _record(session: AsyncSession, record_type: str, **where: object) -> Record:
    found = await session.scalar(select(Record).filter_by(type=record_type, **where).order_by(Record.created_on))
    if found is None:
        raise LookupError(f"demo {record_type.lower()} {where} is missing")
    return found


async def _user(session: AsyncSession, email: str) -> User:
    found = await session.scalar(select(User).where(User.email == email))
    if found is None:
        raise LookupError(f"demo user {email} is missing")
    return found


async def demo_records(session: AsyncSession) -> tuple[Record, Record]:
    """Import Sports and Chris Preston, the records the README and the demo link name."""
    account = await _record(session, "ACCOUNT", name="Import Sports")
    contact = await _record(session, "CONTACT", first_name="Chris", last_name="Preston", account_id=account.id)
    return account, contact


async def has_history(session: AsyncSession) -> bool:
    return await session.scalar(select(SequenceRow.id).where(SequenceRow.name == SEQUENCE_NAME)) is not None


async def add_history(session: AsyncSession, now: datetime) -> DemoHistory | None:
    """Add the demo history once; None when it is there already."""
    if await has_history(session):
        return None
    sam = await build_scope(session, await _user(session, SELLER))
    manager = await build_scope(session, await _user(session, MANAGER))
    account, chris = await demo_records(session)
    colleague = await session.scalar(select(Record).where(
        Record.type == "CONTACT", Record.account_id == account.id, Record.id != chris.id).order_by(Record.created_on))
    assert colleague is not None, "the demo account has more than one contact"
    to_chris = [PartyRef("TO", "CONTACT", chris.id)]
    on_chris, on_account = Common(regarding_id=chris.id), Common(regarding_id=account.id)
    made = 0

    # Three weeks ago: the first contact, on the account and with Chris.
    await activities.log_phone_call(session, sam, {"subject": "Intro call: spring catalogue", "direction": "OUTGOING",
                                                   "description": "Chris buys for 14 stores; wants a quote."},
                                    to_chris, now - 21 * DAY, on_account)
    await activities.send_email(session, sam, {"subject": "Spring catalogue and price list",
                                               "body_html": "<p>Hi Chris, as promised: our spring range.</p>"},
                                to_chris, now - 20 * DAY, on_chris)
    await activities.send_text_message(session, sam, {"text": "Catalogue sent, let me know what you think!"},
                                       to_chris, now - 20 * DAY, on_chris)
    await activities.create_activity(session, sam, "TASK", {"subject": "Prepare a quote for 14 stores",
                                                            "due": now - 15 * DAY},
                                     now - 19 * DAY, regarding_id=account.id, state="COMPLETED")
    made += 4
    # Chris answers from his mailbox: tracked, it links itself to Chris and rolls up.
    tracked = await tracking.track_email(session, sam, NO_FILES, tracking.TrackedEmail(
        message_id="<spring-quote-reply@importsports.example>", subject="RE: Spring catalogue and price list",
        body_html="<p>Thanks Sam. Can you do 8% on orders over 500 units?</p>", sender=chris.email,
        to=[SELLER], sent_on=now - 14 * DAY), now - 14 * DAY, regarding_id=chris.id)
    made += tracked.activity is not None
    await activities.log_phone_call(session, sam, {"subject": "Chris called about volume discounts",
                                                   "direction": "INCOMING"},
                                    [PartyRef("FROM", "CONTACT", chris.id)], now - 12 * DAY, on_chris)
    await activities.create_appointment(session, sam, {
        "subject": "Visit at Import Sports: range review", "location": "Import Sports, Seattle",
        "scheduled_start": now - 7 * DAY, "scheduled_end": now - 7 * DAY + timedelta(hours=1)},
        [PartyRef("REQUIRED_ATTENDEE", "CONTACT", chris.id),
         PartyRef("OPTIONAL_ATTENDEE", "CONTACT", colleague.id)], now - 10 * DAY, on_account)
    made += 2
    await notes.add_note(session, sam, {"title": "Range review", "text": "Wants bikes and camping gear in May; "
                                        "decision by the end of the month. Colleague handles logistics."},
                         now - 7 * DAY, record_id=account.id)
    await notes.add_note(session, sam, {"title": "Chris", "text": "Prefers calls before 10:00; texts are fine."},
                         now - 6 * DAY, record_id=chris.id)

    # What is coming: a meeting, a call and a task on Sam's work list, an email scheduled.
    await activities.create_appointment(session, sam, {
        "subject": "Contract review with Chris", "scheduled_start": now + 3 * DAY,
        "scheduled_end": now + 3 * DAY + timedelta(hours=1)},
        [PartyRef("REQUIRED_ATTENDEE", "CONTACT", chris.id)], now - 2 * DAY, on_chris)
    await activities.log_phone_call(session, sam, {"subject": "Confirm delivery dates", "direction": "OUTGOING",
                                                   "due": now + DAY},
                                    to_chris, now - DAY, on_chris, state="OPEN")
    await activities.create_activity(session, sam, "TASK", {"subject": "Send the revised quote", "due": now,
                                                            "priority": "HIGH"},
                                     now - DAY, regarding_id=chris.id)
    await activities.send_email(session, sam, {"subject": "Your revised quote",
                                               "body_html": "<p>Hi Chris, here is the quote with 8% off.</p>"},
                                to_chris, now, on_chris, send_at=now + 2 * DAY)
    made += 4

    # A deal with a sequence in progress: its first step is on Sam's work list.
    deal = await sales.create(session, sam, "OPPORTUNITY", {"name": "Spring range for 14 stores",
                                                           "customer_id": account.id, "probability": 60},
                              now - 10 * DAY)
    sequence = await sequences.create_sequence(session, manager, SEQUENCE_NAME, "Three touches in a week.", [
        StepSpec("PHONE_CALL", "Welcome call"), StepSpec("WAIT", wait=timedelta(days=2)),
        StepSpec("EMAIL", "Send the onboarding guide"), StepSpec("TASK", "Check the first order"),
    ], now - 3 * DAY)
    await sequences.connect_sequence(session, sam, sequence.id, deal.id, now - 3 * DAY)
    made += 1
    return DemoHistory(account.id, chris.id, made, 2)

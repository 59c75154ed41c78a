"""Inbound text replies (R-SMS-1): recorded on the same conversation and the same timeline.

A reply arrives as (the number it came from, the text). The conversation is the latest
outgoing text message to that number that the caller may read (numbers compared by their
digits, so "+1 555 0101" and "+15550101" are one number). The reply is an INCOMING text
message in reply to it: about the same record, from the person it was sent to, to the one
who sent it, owned by the conversation's owner. So it shows on every timeline the
conversation shows on. With no conversation, it is recorded from the bare number,
owned by the caller, about nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands import sequences
from graph.commands.activities import Draft, PartyRef, check_parties, insert_activity
from graph.commands.common import owner_for
from graph.models import Activity, Principal
from graph.queries.activities import readable_activities
from graph.rules import activities as fields
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.records import PHONE

# How many recent outgoing texts are compared by digits when no stored number matches exactly.
SCAN = 500


@dataclass
class Reply:
    message: Activity
    conversation: Activity | None


def digits(number: str | None) -> str:
    return "".join(ch for ch in number or "" if ch.isdigit())


def _party(item: dict[str, object], role: str) -> PartyRef:
    party_id = item.get("party_id")
    return PartyRef(role, item.get("party_type"),  # type: ignore[arg-type]
                    uuid.UUID(str(party_id)) if party_id else None,
                    item.get("address"))  # type: ignore[arg-type]


async def conversation_for(session: AsyncSession, scope: Scope, number: str) -> Activity | None:
    outgoing = (select(Activity).where(readable_activities(scope), Activity.type == "TEXT_MESSAGE",
                                       Activity.direction == "OUTGOING")
                .order_by(Activity.created_on.desc(), Activity.id.desc()))
    exact = await session.scalar(outgoing.where(Activity.phone_number == number).limit(1))
    if exact is not None:
        return exact
    wanted = digits(number)
    for row in await session.scalars(outgoing.limit(SCAN)):
        if digits(row.phone_number) == wanted:
            return row
    return None


async def receive_text_reply(session: AsyncSession, scope: Scope, from_number: str, text: str | None,
                             now: datetime) -> Reply:
    """Record an inbound text; needs `create` on activities for the conversation's owner."""
    number = (from_number or "").strip()
    if not PHONE.match(number):
        raise DomainError(ErrorCode.VALIDATION, f"'{number}' is not a phone number", ("input", "fromNumber"))
    body = fields.check_text(text)
    original = await conversation_for(session, scope, number)
    values = {"subject": fields.subject_from_text(body), "description": body, "phone_number": number,
              "direction": "INCOMING"}
    cleaned = fields.check_fields("TEXT_MESSAGE", values, creating=True)
    if original is None:
        owner = await owner_for(session, scope, None, "activity", "create")
        parties = [PartyRef("FROM", address=number), PartyRef("TO", "USER", scope.user_id)]
        draft = Draft("TEXT_MESSAGE", cleaned, owner, None, None, parties, {})
        return Reply(await insert_activity(session, scope, draft, now, state="COMPLETED"), None)
    principal = await session.get(Principal, original.owner_id)
    assert principal is not None
    if not scope.can_own("create", "activity", principal.id, principal.business_unit_id):
        raise DomainError(ErrorCode.FORBIDDEN, f"you may not record messages for {principal.name}",
                          ("input", "fromNumber"))
    sent_from = [p for p in original.party_list or () if p.get("role") == "FROM"]
    sent_to = [p for p in original.party_list or () if p.get("role") == "TO"]
    parties = [*(_party(p, "FROM") for p in sent_to[:1]), *(_party(p, "TO") for p in sent_from[:1])]
    if not sent_to:
        parties.insert(0, PartyRef("FROM", address=number))
    await check_parties(session, scope, parties)
    draft = Draft("TEXT_MESSAGE", cleaned, principal, original.regarding_id, original.regarding_type, parties, {})
    message = await insert_activity(session, scope, draft, now, state="COMPLETED")
    # The conversation it answers: kept on the reply, as an email keeps In-Reply-To.
    message.in_reply_to = f"text:{original.id}"
    await session.flush()
    await sequences.notify(session, [principal.id], original.regarding_id, "TEXT_RECEIVED", scope.user_id, now)
    return Reply(message, original)

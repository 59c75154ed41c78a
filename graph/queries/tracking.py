"""Reads for tracking (R-TRACK-1): who an address is, and what a tracked item could be linked to.

Addresses resolve only to what the viewer may read and what is active, so neither party
resolution nor suggestions reveal a record the viewer could not open.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import Activity, Record, User
from graph.queries.activities import readable_activities
from graph.queries.records import readable_any
from graph.rules.access import Scope
from graph.rules.records import check_filter_text
from graph.rules.tracking import message_id_spellings

# When an address belongs to several, the first kind wins: colleagues are users, then the
# people and companies we deal with.
RESOLUTION_ORDER = ("USER", "CONTACT", "LEAD", "ACCOUNT")
ACTIVE_STATES = {"CONTACT": ("ACTIVE",), "LEAD": ("OPEN",), "ACCOUNT": ("ACTIVE",)}


@dataclass(frozen=True)
class Match:
    """What an address resolved to."""

    address: str
    party_type: str
    party_id: uuid.UUID
    name: str
    account_id: uuid.UUID | None = None
    user: User | None = None
    record: Record | None = None


async def resolve_addresses(session: AsyncSession, scope: Scope, addresses: Collection[str]) -> dict[str, Match]:
    """Normalised address → its best match (two statements whatever the number of addresses).

    Several records of one kind with the same address: the oldest wins, so the answer is
    stable from one save to the next.
    """
    wanted = sorted(set(addresses))
    if not wanted:
        return {}
    candidates: dict[str, list[tuple[int, object, Match]]] = {}
    users = await session.scalars(
        select(User).where(func.lower(User.email).in_(wanted), User.is_active.is_(True))
    )
    for user in users:
        address = (user.email or "").lower()
        candidates.setdefault(address, []).append(
            (0, user.created_on, Match(address, "USER", user.id, user.name, user=user)))
    records = await session.scalars(
        select(Record).where(
            func.lower(Record.email).in_(wanted),
            readable_any(scope, ("CONTACT", "LEAD", "ACCOUNT")),
            or_(*(and_(Record.type == t, Record.state.in_(s)) for t, s in ACTIVE_STATES.items())),
        )
    )
    for record in records:
        address = (record.email or "").lower()
        rank = RESOLUTION_ORDER.index(record.type)
        candidates.setdefault(address, []).append(
            (rank, record.created_on,
             Match(address, record.type, record.id, record.name, account_id=record.account_id, record=record)))
    return {
        address: min(found, key=lambda c: (c[0], c[1], str(c[2].party_id)))[2]  # type: ignore[index]
        for address, found in candidates.items()
    }


@dataclass(frozen=True)
class Suggestion:
    """A record the tracked item could be linked to, and why it is suggested."""

    record: Record
    reason: str


SUGGESTED_ORDER = {"ACCOUNT": 0, "OPPORTUNITY": 1, "CASE": 2}


async def link_suggestions(
    session: AsyncSession, scope: Scope, matches: Sequence[Match], limit: int,
) -> list[Suggestion]:
    """Accounts, open opportunities and active cases related to the resolved contacts.

    Related means: a contact's account; an account that was itself a party; an open
    opportunity or active case whose customer is one of those contacts or accounts. One
    statement.
    """
    names = {m.party_id: m.name for m in matches if m.party_type in ("CONTACT", "ACCOUNT")}
    contact_account = {m.party_id: m.account_id for m in matches if m.party_type == "CONTACT"}
    account_ids = {m.party_id for m in matches if m.party_type == "ACCOUNT"}
    account_ids |= {a for a in contact_account.values() if a is not None}
    customers = set(names) | account_ids
    if not customers:
        return []
    rows = list(await session.scalars(
        select(Record).where(
            readable_any(scope, tuple(SUGGESTED_ORDER)),
            or_(
                and_(Record.type == "ACCOUNT", Record.id.in_(sorted(account_ids)), Record.state == "ACTIVE"),
                and_(Record.type == "OPPORTUNITY", Record.customer_id.in_(sorted(customers)), Record.state == "OPEN"),
                and_(Record.type == "CASE", Record.customer_id.in_(sorted(customers)), Record.state == "ACTIVE"),
            ),
        ).order_by(Record.modified_on.desc(), Record.id)
    ))
    rows.sort(key=lambda r: SUGGESTED_ORDER[r.type])
    found: list[Suggestion] = []
    for row in rows[:limit]:
        if row.type == "ACCOUNT":
            people = sorted(n for c, n in names.items() if contact_account.get(c) == row.id)
            reason = f"account of {', '.join(people)}" if people else "a participant"
        else:
            reason = f"customer is {names.get(row.customer_id) or _account_name(rows, row.customer_id)}"
        found.append(Suggestion(row, reason))
    return found


def _account_name(rows: Sequence[Record], account_id: uuid.UUID | None) -> str:
    return next((r.name for r in rows if r.id == account_id), "a related account")


async def tracked_item(session: AsyncSession, scope: Scope, *, message_id: str | None = None,
                       ical_uid: str | None = None) -> Activity | None:
    """The saved email (by message id, either spelling) or meeting (by UID), if readable:
    what an add-in asks when it opens an item, to show "already saved". Text no stored id
    can be (a NUL, longer than the column) is a VALIDATION error, not a database error."""
    check_filter_text({"messageId": message_id, "icalUid": ical_uid}, ())
    if message_id is not None:
        condition = and_(Activity.type == "EMAIL", Activity.message_id.in_(message_id_spellings(message_id)))
    elif ical_uid is not None:
        condition = Activity.ical_uid == ical_uid
    else:
        return None
    return await session.scalar(
        select(Activity).where(condition, readable_activities(scope)).order_by(Activity.created_on).limit(1)
    )

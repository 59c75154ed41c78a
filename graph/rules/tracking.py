"""Tracking mail-client email and meetings (R-TRACK-*): the decisions, as pure functions.

No session and no clock: the commands in `graph/commands/tracking.py` look things up and
pass them in. Addresses and message ids are normalised here so that every path (add-in,
.eml import, reply matching) compares the same spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.utils import getaddresses, parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import text_problem, unusable_text

MAX_ID = 400
MAX_SUBJECT = 400
NO_SUBJECT = "(no subject)"
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_MSG_ID = re.compile(r"<([^<>\s]+)>")


# --- addresses and ids -------------------------------------------------------------------

def normalise_address(raw: str | None) -> str | None:
    """`"Chris Preston" <Chris@Import.example>` → `chris@import.example`; None if not an address."""
    if not raw:
        return None
    _, address = parseaddr(raw.strip())
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address:
        return None
    return address


def split_addresses(values: Iterable[str]) -> list[str]:
    """Every address in a list of header values or single addresses, normalised, in order.

    A value may hold several (`a@x, "B, Jr." <b@y>`); anything that is not an address is
    dropped: a mail client's "undisclosed recipients" group is not a party.
    """
    found: list[str] = []
    for _, address in getaddresses(list(values)):
        clean = normalise_address(address)
        if clean and clean not in found:
            found.append(clean)
    return found


def normalise_message_id(raw: str | None) -> str | None:
    """The id inside a Message-ID (or UID) header, without angle brackets or whitespace."""
    if raw is None:
        return None
    text = raw.strip()
    match = _MSG_ID.search(text)
    if match:
        text = match.group(1)
    text = text.strip("<> \t\r\n")
    return text or None


def message_id_spellings(message_id: str) -> tuple[str, str]:
    """Both spellings a stored id may have: bare, and in angle brackets as sent on the wire."""
    return message_id, f"<{message_id}>"


def replied_ids(in_reply_to: str | None) -> list[str]:
    """The message ids an In-Reply-To header names (usually one; RFC 5322 allows several)."""
    if not in_reply_to:
        return []
    found = _MSG_ID.findall(in_reply_to)
    if found:
        return [i for i in dict.fromkeys(found) if text_problem(i) is None]
    single = normalise_message_id(in_reply_to)
    return [single] if single and text_problem(single) is None else []


def require_id(value: str | None, what: str, field: Sequence[str]) -> str:
    """A message id or UID is the key of R-TRACK-2: without one nothing can be tracked."""
    if not value:
        raise DomainError(ErrorCode.VALIDATION, f"{what} is required to track this item", field)
    why = unusable_text(value, MAX_ID)
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"{what} {why}", field)
    return value


def tracked_subject(subject: str | None) -> str:
    """Real mail may have no subject, or a very long one; an activity needs 1–400 characters."""
    text = " ".join((subject or "").split())
    if not text:
        return NO_SUBJECT
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 1] + "…"


# --- what may be saved (R-TRACK-3) -------------------------------------------------------

def ensure_sent(is_draft: bool) -> None:
    """Drafts are not saved until sent: the add-in tries again after sending."""
    if is_draft:
        raise DomainError(
            ErrorCode.INVALID_STATE, "this email is a draft; it can be tracked once it has been sent",
            ("input", "isDraft"),
        )


def ensure_not_recurring(is_recurring: bool) -> None:
    if is_recurring:
        raise DomainError(
            ErrorCode.NOT_SUPPORTED, "recurring meetings cannot be tracked; track a single meeting instead",
            ("input", "isRecurring"),
        )


def email_state(sender_is_user: bool) -> str:
    """Mail one of our users sent is SENT; mail from anyone else was RECEIVED (R-ACT-3)."""
    return "SENT" if sender_is_user else "RECEIVED"


def time_zone_problems(**times: datetime | None) -> list[Problem]:
    """A time without an offset could be anyone's local time: refused, not guessed."""
    return [Problem(ErrorCode.VALIDATION, f"{name} needs a time zone offset, e.g. 2025-01-21T10:00:00Z",
                    ("input", name))
            for name, value in times.items() if value is not None and value.tzinfo is None]


def check_sent_on(sent_on: datetime | None) -> None:
    problems = time_zone_problems(sentOn=sent_on)
    if problems:
        raise DomainError(problems=problems)


def check_meeting_times(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    problems = time_zone_problems(start=start, end=end)
    if start is None:
        problems.append(Problem(ErrorCode.VALIDATION, "a meeting needs a start", ("input", "start")))
    if end is None:
        problems.append(Problem(ErrorCode.VALIDATION, "a meeting needs an end", ("input", "end")))
    if problems:
        raise DomainError(problems=problems)
    assert start is not None and end is not None
    if end < start:
        raise DomainError(ErrorCode.VALIDATION, "the meeting ends before it starts", ("input", "end"))
    return start, end


# --- working hours (R-TRACK-3) -----------------------------------------------------------

@dataclass(frozen=True)
class Participant:
    """A participating user, as far as working hours go."""

    name: str
    working_hours: Mapping[str, Any] | None
    time_zone: str | None


def _clock(text: str) -> time | None:
    """"08:00" → 08:00; "24:00" is the end of the day (returned as None = midnight after)."""
    hours, _, minutes = text.strip().partition(":")
    h, m = int(hours), int(minutes or 0)
    if (h, m) == (24, 0):
        return None
    return time(h, m)


def _ranges(value: Any) -> list[tuple[time, time | None]]:
    """A day's hours: ["08:00","18:00"] or several ranges [["08:00","12:00"],["13:00","17:00"]]."""
    if not value:
        return []
    items = value if isinstance(value[0], (list, tuple)) else [value]
    found = []
    for item in items:
        start = _clock(item[0])
        if start is None:
            continue
        found.append((start, _clock(item[1])))
    return found


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def outside_working_hours(start: datetime, end: datetime, who: Participant) -> str | None:
    """Why the meeting falls outside this user's working hours, or None when it fits.

    Hours are per weekday in the user's own time zone; a weekday missing means not working
    that day. A user with no working hours configured is not constrained.
    """
    if not who.working_hours:
        return None
    tz = zone(who.time_zone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = WEEKDAYS[local_start.weekday()]
    where = f"({tz.key})"
    span = f"{local_start:%H:%M}–{local_end:%H:%M}"
    ends_next_midnight = local_end.date() == local_start.date() + timedelta(days=1) and local_end.time() == time(0)
    if local_end.date() != local_start.date() and not ends_next_midnight:
        return f"{who.name}: the meeting spans more than one working day {where}"
    ranges = _ranges(who.working_hours.get(day))
    if not ranges:
        return f"{who.name} does not work on {day.title()} {where}"
    for begins, finishes in ranges:
        fits_end = finishes is None or (not ends_next_midnight and local_end.time() <= finishes)
        if local_start.time() >= begins and fits_end:
            return None
    hours = ", ".join(f"{b:%H:%M}–{f:%H:%M}" if f else f"{b:%H:%M}–24:00" for b, f in ranges)
    return f"{who.name} works {hours} on {day.title()} {where}; the meeting is {span} there"


def check_working_hours(start: datetime, end: datetime, participants: Iterable[Participant]) -> None:
    """R-TRACK-3: refuse, naming every participating user whose hours the meeting misses."""
    problems = [
        Problem(ErrorCode.OUTSIDE_WORKING_HOURS, f"outside working hours: {reason}", ("input", "start"))
        for reason in (outside_working_hours(start, end, p) for p in participants) if reason
    ]
    if problems:
        raise DomainError(problems=problems)


# --- attachments (R-TRACK-4) ---------------------------------------------------------------

def is_inline_image(content_type: str | None, content_id: str | None, disposition: str | None,
                    html_body: str | None, marked_inline: bool = False) -> bool:
    """An image shown inside the body (a signature logo, a pasted screenshot): not saved.

    The body referring to its Content-ID settles it; otherwise an image part marked inline
    with a Content-ID. A PDF marked inline (Apple Mail does that) is still an attachment.
    """
    if marked_inline:
        return True
    cid = normalise_message_id(content_id) if content_id else None
    if cid and html_body and f"cid:{cid}".lower() in html_body.lower():
        return True
    is_image = (content_type or "").lower().startswith("image/")
    return bool(is_image and cid and (disposition or "inline").lower() == "inline")


# --- editing a tracked item (R-TRACK-6) --------------------------------------------------

def added_contact_role(activity_type: str) -> str:
    """A related contact who was not among the recipients still needs a party row for its
    timeline to show the item: on an email it is copied (CC), on a meeting optional."""
    return "OPTIONAL_ATTENDEE" if activity_type == "APPOINTMENT" else "CC"


def relate_contacts(
    parties: Sequence[Mapping[str, Any]], wanted: Mapping[str, str | None], added_role: str,
) -> list[dict[str, Any]]:
    """The party list with exactly the `wanted` contacts (id → email) resolved.

    A contact taken off keeps its address as a bare party (the mail still went there); a
    contact added takes over the unresolved parties with its address, or gets a party of
    `added_role` when it had none. Order is kept; added ones go last.
    """
    result: list[dict[str, Any]] = []
    present: set[str] = set()
    for party in parties:
        item = dict(party)
        if item.get("party_type") == "CONTACT":
            if item.get("party_id") not in wanted:
                if not item.get("address"):
                    continue
                item["party_type"] = item["party_id"] = None
            else:
                present.add(str(item["party_id"]))
        result.append(item)
    for contact_id, email in wanted.items():
        if contact_id in present:
            continue
        address = normalise_address(email)
        slots = [p for p in result if p.get("party_id") is None and address and p.get("address") == address]
        for slot in slots:
            slot["party_type"], slot["party_id"] = "CONTACT", contact_id
        if not slots:
            result.append({"role": added_role, "party_type": "CONTACT", "party_id": contact_id, "address": address})
    return result

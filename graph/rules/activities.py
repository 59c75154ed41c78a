"""Field rules for activities (R-ACT-1, R-CALL-1, R-MAIL-1, R-APPT-1, R-SMS-1): pure, no session.

Checks report every problem at once, each with the input path the client typed, so a
form can mark all its wrong fields in one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from graph.rules import activity_states as states
from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.html import sanitise_html
from graph.rules.records import PHONE, unusable_text
from graph.rules.text_limits import TEXT_LIMITS, text_limit

MAX_CATEGORIES = 50
MAX_CATEGORY_LENGTH = TEXT_LIMITS["category"]
MAX_BULK = 500
INPUT_NAMES = {"scheduled_start": "scheduledStart", "scheduled_end": "scheduledEnd",
               "online_meeting_url": "onlineMeetingUrl", "phone_number": "phoneNumber",
               "body_html": "bodyHtml", "message_id": "messageId", "in_reply_to": "inReplyTo"}
# Fields that only some types have: anything else is refused rather than silently stored.
TYPE_FIELDS = {"phone_number": ("PHONE_CALL", "TEXT_MESSAGE"), "direction": ("PHONE_CALL", "TEXT_MESSAGE"),
               "location": ("APPOINTMENT",), "online_meeting_url": ("APPOINTMENT",),
               "body_html": ("EMAIL",), "message_id": ("EMAIL",), "in_reply_to": ("EMAIL",),
               "categories": ("EMAIL",)}
# An appointment is due when it starts: "my activities" by due then lists it in time.
DUE_FROM_START = frozenset({"APPOINTMENT"})


def _path(name: str, names: Mapping[str, str]) -> tuple[str, ...]:
    return ("input", names.get(name, INPUT_NAMES.get(name, name)))


def check_fields(activity_type: str, values: Mapping[str, Any], *, creating: bool,
                 names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Trim text; subject required; lengths, priority, phone and link shapes, end ≥ start;
    an email body sanitised.

    Empty optional text becomes None. `names` maps a column to the input field the client
    used when it differs (an appointment's `start` is `scheduled_start`).
    """
    names = names or {}
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    problems: list[Problem] = []
    if (creating or "subject" in cleaned) and not cleaned.get("subject"):
        problems.append(Problem(ErrorCode.VALIDATION, "subject is required", _path("subject", names)))
    for name, value in list(cleaned.items()):
        if name in TYPE_FIELDS and value is not None and activity_type not in TYPE_FIELDS[name]:
            problems.append(Problem(ErrorCode.VALIDATION,
                                    f"a {activity_type.lower().replace('_', ' ')} has no {names.get(name, name)}",
                                    _path(name, names)))
        if not isinstance(value, str):
            continue
        if value == "" and name != "subject":
            cleaned[name] = None
            continue
        why = unusable_text(value, text_limit(name))
        if why is not None:
            problems.append(Problem(ErrorCode.VALIDATION, f"{_path(name, names)[1]} {why}", _path(name, names)))
        elif name == "body_html":
            cleaned[name] = sanitise_html(value)  # stored safe to show (graph/rules/html.py)
    if cleaned.get("priority") is not None and cleaned["priority"] not in states.PRIORITIES:
        problems.append(Problem(ErrorCode.VALIDATION, "priority is LOW, NORMAL or HIGH", _path("priority", names)))
    number = cleaned.get("phone_number")
    if isinstance(number, str) and not PHONE.match(number):
        problems.append(Problem(ErrorCode.VALIDATION, f"'{number}' is not a phone number",
                                _path("phone_number", names)))
    url = cleaned.get("online_meeting_url")
    if isinstance(url, str) and not _is_web_link(url):
        problems.append(Problem(ErrorCode.VALIDATION, "the online meeting link must be an http(s) URL",
                                _path("online_meeting_url", names)))
    if "categories" in cleaned:
        try:
            cleaned["categories"] = clean_categories(cleaned["categories"])
        except DomainError as error:
            problems.extend(error.problems)
    times = {k: cleaned.get(k) for k in ("scheduled_start", "scheduled_end") if creating or k in cleaned}
    problems.extend(time_problems(activity_type, times, names))
    if problems:
        raise DomainError(problems=problems)
    return cleaned


def time_problems(activity_type: str, times: Mapping[str, Any],
                  names: Mapping[str, str] | None = None) -> list[Problem]:
    """R-APPT-1: an appointment has a start and an end; for every type the end is not before the start.

    `times` holds the `scheduled_start`/`scheduled_end` being set: a key present with None
    clears that time, which an appointment refuses.
    """
    names = names or {}
    problems: list[Problem] = []
    if activity_type == "APPOINTMENT":
        for name in ("scheduled_start", "scheduled_end"):
            if name in times and times[name] is None:
                problems.append(Problem(ErrorCode.VALIDATION, f"an appointment needs {_path(name, names)[1]}",
                                        _path(name, names)))
    start, end = times.get("scheduled_start"), times.get("scheduled_end")
    if start is not None and end is not None and end < start:
        problems.append(Problem(ErrorCode.VALIDATION, "the end is before the start", _path("scheduled_end", names)))
    return problems


def _is_web_link(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def clean_categories(categories: Sequence[str] | None) -> list[str]:
    """R-MAIL-1: trimmed, blank ones dropped, duplicates once, in the order given."""
    found = list(dict.fromkeys(c.strip() for c in categories or () if c and c.strip()))
    if len(found) > MAX_CATEGORIES:
        raise DomainError(ErrorCode.VALIDATION, f"at most {MAX_CATEGORIES} categories", ("input", "categories"))
    for i, category in enumerate(found):
        if len(category) > MAX_CATEGORY_LENGTH:
            raise DomainError(ErrorCode.VALIDATION, f"a category is longer than {MAX_CATEGORY_LENGTH} characters",
                              ("input", "categories", str(i)))
    return found


def check_text(text: str | None) -> str:
    """R-SMS-1: a text message has a text."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise DomainError(ErrorCode.VALIDATION, "a text message needs a text", ("input", "text"))
    why = unusable_text(cleaned, text_limit("text"))
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"text {why}", ("input", "text"))
    return cleaned


def subject_from_text(text: str, limit: int = 100) -> str:
    """The subject a timeline shows for a text message sent without one: its first line."""
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def effective_due(activity_type: str, due: Any, scheduled_start: Any) -> Any:
    """When the activity is due: for an appointment, its start."""
    return scheduled_start if activity_type in DUE_FROM_START else due


def check_direction(direction: str | None) -> str:
    """Calls and texts default to OUTGOING (placed from the work list or "up next")."""
    if direction is None:
        return "OUTGOING"
    if direction not in states.DIRECTIONS:
        raise DomainError(ErrorCode.VALIDATION, "direction is INCOMING or OUTGOING", ("input", "direction"))
    return direction


def check_bulk_size(count: int, field: tuple[str, ...] = ("input", "ids")) -> None:
    if count == 0:
        raise DomainError(ErrorCode.VALIDATION, "give at least one id", field)
    if count > MAX_BULK:
        raise DomainError(ErrorCode.VALIDATION, f"at most {MAX_BULK} ids at once", field)


def check_note(title: str | None, text: str | None) -> tuple[str | None, str | None]:
    """A note added while completing needs a title or some text."""
    title = (title or "").strip() or None
    text = (text or "").strip() or None
    if title is None and text is None:
        raise DomainError(ErrorCode.VALIDATION, "a note needs a title or a text", ("input", "note"))
    if title is not None and len(title) > 400:
        raise DomainError(ErrorCode.VALIDATION, "the note title is longer than 400 characters",
                          ("input", "note", "title"))
    return title, text


@dataclass(frozen=True)
class Reachable:
    """A party's contact points and preferences, as far as choosing a number needs them."""

    name: str
    business_phone: str | None = None
    mobile_phone: str | None = None
    address: str | None = None
    do_not_phone: bool = False
    do_not_text: bool = False
    email: str | None = None
    do_not_email: bool = False


def choose_phone_number(given: str | None, party: Reachable | None, *, what: str) -> str:
    """R-CALL-1, R-SMS-1: the number given, else the party's business phone, else the mobile.

    A bare address that is a phone number counts as given. With no number anywhere the
    error asks for one (MISSING_CONTACT_POINT).
    """
    if given:
        return given
    if party is not None:
        for number in (party.business_phone, party.mobile_phone, party.address):
            if number and PHONE.match(number.strip()):
                return number.strip()
    whom = f" for {party.name}" if party is not None and party.name else ""
    raise DomainError(ErrorCode.MISSING_CONTACT_POINT,
                      f"there is no phone number{whom}: give the phone number of the {what}",
                      ("input", "phoneNumber"))


def contact_warning(party: Reachable | None, activity_type: str, acknowledged: bool) -> None:
    """R-CALL-1: a person who asked not to be phoned (or texted) gets a warning first."""
    if acknowledged or party is None:
        return
    if activity_type == "PHONE_CALL" and party.do_not_phone:
        refusal = "does not want to be phoned"
    elif activity_type == "TEXT_MESSAGE" and party.do_not_text:
        refusal = "does not want text messages"
    else:
        return
    raise DomainError(ErrorCode.CONFIRMATION_REQUIRED,
                      f"{party.name} {refusal}; repeat with acknowledgeWarnings: true to go ahead",
                      ("input", "acknowledgeWarnings"))


FROM_NUMBER = ("input", "fromNumber")


def check_from_number(from_number: str | None, direction: str | None, from_given: bool) -> str | None:
    """R-SMS-1: the number an outgoing text is sent from, as `textFromStep` takes it. It is
    the sender, so it stands in for `from`; an incoming text's sender number is
    `phoneNumber` (the other party's)."""
    cleaned = (from_number or "").strip() or None
    if cleaned is None:
        return None
    if (direction or "OUTGOING") != "OUTGOING":
        raise DomainError(ErrorCode.VALIDATION,
                          "an incoming message was sent from the other party's number: give it as phoneNumber",
                          FROM_NUMBER)
    if from_given:
        raise DomainError(ErrorCode.VALIDATION, "give `from` or `fromNumber`, not both", FROM_NUMBER)
    if not PHONE.match(cleaned):
        raise DomainError(ErrorCode.VALIDATION, f"'{cleaned}' is not a phone number", FROM_NUMBER)
    return cleaned


def sender_number(direction: str | None, phone_number: str | None,
                  parties: Sequence[Mapping[str, Any]]) -> str | None:
    """Which number sent a text: an incoming one came from the other party's number; an
    outgoing one from the number chosen for it (its FROM party's address), or null when it
    went from the sender's own default."""
    if direction == "INCOMING":
        return phone_number
    return next((p["address"] for p in parties if p.get("role") == "FROM" and p.get("address")), None)

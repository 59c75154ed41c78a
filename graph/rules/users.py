"""What makes a user's details acceptable (R-ADM-2), checked before anything is written.

Working hours decide R-TRACK-3, so they are checked here with the same reading the
meeting check uses: a weekday maps to one range ["08:00", "18:00"] or several; a weekday
missing means not working that day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import unusable_text
from graph.rules.tracking import WEEKDAYS

SYSTEM_ADMINISTRATOR = "system_administrator"
# Simple on purpose: the address is a login name, not a mailbox to validate.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


@dataclass(frozen=True)
class Period:
    """One working range of one weekday, as clocks in the user's own time zone."""

    day: str
    start: str
    end: str


def normalise_email(value: str, field: Sequence[str]) -> str:
    """Emails are unique ignoring case, so they are stored lower-cased."""
    email = value.strip().lower()
    why = unusable_text(email, 320)
    if why is None and not _EMAIL.match(email):
        why = "is not an email address"
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"email {why}", field)
    return email


def check_name(value: str, field: Sequence[str]) -> str:
    name = value.strip()
    why = "is empty" if not name else unusable_text(name, 200)
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"name {why}", field)
    return name


def check_phone(value: str | None, field: Sequence[str]) -> str | None:
    if value is None or not value.strip():
        return None
    why = unusable_text(value.strip(), 50)
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"phone {why}", field)
    return value.strip()


def check_time_zone(value: str, field: Sequence[str]) -> str:
    """An IANA zone name (Europe/Paris); a typo would silently mean UTC later, so refuse it."""
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        name = ""
    if not name or name not in _zone_names():
        raise DomainError(ErrorCode.VALIDATION, f"'{value}' is not a known time zone (e.g. Europe/Paris)", field)
    return name


def _zone_names() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones() | {"UTC"}
    return _ZONES


_ZONES: set[str] | None = None


def working_hours(periods: Sequence[Period], field: Sequence[str]) -> dict[str, list[list[str]]]:
    """Periods → the stored map {"MONDAY": [["08:00", "12:00"], ["13:00", "17:00"]]}."""
    problems: list[Problem] = []
    hours: dict[str, list[list[str]]] = {}
    for i, period in enumerate(periods):
        at = (*field, str(i))
        if period.day not in WEEKDAYS:
            problems.append(Problem(ErrorCode.VALIDATION, f"'{period.day}' is not a weekday", at))
        elif not (_CLOCK.match(period.start) and _CLOCK.match(period.end)) or period.start == "24:00":
            problems.append(Problem(ErrorCode.VALIDATION, "times are HH:MM, 00:00 to 24:00", at))
        elif period.start >= period.end:
            problems.append(Problem(ErrorCode.VALIDATION, "a period ends after it starts", at))
        else:
            hours.setdefault(period.day, []).append([period.start, period.end])
    for day, ranges in hours.items():
        ranges.sort()
        if any(a[1] > b[0] for a, b in zip(ranges, ranges[1:], strict=False)):
            problems.append(Problem(ErrorCode.VALIDATION, f"periods on {day.title()} overlap", tuple(field)))
    if problems:
        raise DomainError(problems=problems)
    return hours


def periods(stored: Mapping[str, object] | None) -> list[Period]:
    """The stored map, in either shape R-TRACK-3 reads, as periods in weekday order."""
    found: list[Period] = []
    for day in WEEKDAYS:
        value = (stored or {}).get(day)
        if not isinstance(value, list) or not value:
            continue
        items = value if isinstance(value[0], list | tuple) else [value]
        found.extend(Period(day, str(item[0]), str(item[1])) for item in items)
    return found


def check_keeps_an_administrator(remaining_active_admins: int, field: Sequence[str] | None = None) -> None:
    """The organisation must keep one active system administrator, or nobody can fix anything."""
    if remaining_active_admins < 1:
        raise DomainError(
            ErrorCode.LAST_ADMINISTRATOR,
            "this is the last active system administrator: make someone else one first", field,
        )

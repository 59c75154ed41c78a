"""`.ics` files (RFC 5545): just enough iCalendar to track a meeting.

Content lines are unfolded on bytes (a fold may split a UTF-8 character), split into
name, parameters and value with quoting respected, and nested into components. Times are
read in UTC, in the time zone the file defines (VTIMEZONE), or in an IANA zone. A
floating time (no zone) means wall-clock time where the meeting was planned, so it is
read in the calendar's X-WR-TIMEZONE, else the organiser's zone (when the organiser is a
user: `organizer_zones`), else the importing user's zone (`default_zone`), else UTC.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from graph.mail_import.parsed import MailFormatError, ParsedFile, ParsedMeeting
from graph.mail_import.vtimezone import VTimezone

FOLD = re.compile(rb"\r?\n[ \t]")
DURATION = re.compile(r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
RECURRENCE = ("RRULE", "RDATE", "EXRULE", "RECURRENCE-ID")
ONLINE_MEETING = ("X-MICROSOFT-SKYPETEAMSMEETINGURL", "X-GOOGLE-CONFERENCE", "URL")
OPTIONAL_ROLES = ("OPT-PARTICIPANT", "NON-PARTICIPANT")
NOT_PEOPLE = ("ROOM", "RESOURCE")


@dataclass
class Property:
    name: str
    params: dict[str, list[str]]
    value: str

    def param(self, key: str) -> str | None:
        values = self.params.get(key)
        return values[0] if values else None


@dataclass
class Component:
    name: str
    properties: list[Property] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def first(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def all(self, name: str) -> list[Property]:
        return [p for p in self.properties if p.name == name]

    def text(self, name: str) -> str | None:
        prop = self.first(name)
        return unescape(prop.value) if prop is not None and prop.value.strip() else None


def organizers(data: bytes) -> list[str]:
    """The organisers' addresses of a calendar file's meetings (to look up their zones)."""
    calendar = _calendar(data)
    found = [_mailto(o.value) for c in calendar.children if c.name == "VEVENT" for o in c.all("ORGANIZER")]
    return list(dict.fromkeys(a for a in found if a))


def parse_ics(data: bytes, default_zone: str = "UTC",
              organizer_zones: Mapping[str, str | None] | None = None) -> list[ParsedMeeting]:
    """The meetings (VEVENTs) of a calendar file; several with one UID are one recurring series."""
    calendar = _calendar(data)
    zones = {z.text("TZID") or "": VTimezone.from_component(z) for z in calendar.children if z.name == "VTIMEZONE"}
    events = [c for c in calendar.children if c.name == "VEVENT"]
    if not events:
        raise MailFormatError("the calendar holds no meeting (VEVENT)")
    calendar_zone = _zone(calendar.text("X-WR-TIMEZONE"))
    uids = [e.text("UID") for e in events]
    meetings: list[ParsedMeeting] = []
    for event, uid in zip(events, uids, strict=True):
        if not uid:
            raise MailFormatError("a meeting in the calendar has no UID")
        if any(m.uid == uid for m in meetings):
            continue
        organizer = event.first("ORGANIZER")
        address = _mailto(organizer.value) if organizer else None
        floating = (calendar_zone or _zone((organizer_zones or {}).get((address or "").lower()))
                    or _zone(default_zone)
                    or UTC)
        meeting = _meeting(event, uid, zones, floating)
        meeting.is_recurring = meeting.is_recurring or uids.count(uid) > 1
        meetings.append(meeting)
    return meetings


def _calendar(data: bytes) -> Component:
    text = FOLD.sub(b"", data.removeprefix(b"\xef\xbb\xbf"))
    try:
        lines = text.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        lines = text.decode("latin-1").splitlines()
    stack: list[Component] = [Component("ROOT")]
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        prop = content_line(line, number)
        if prop.name == "BEGIN":
            child = Component(prop.value.strip().upper())
            stack[-1].children.append(child)
            stack.append(child)
        elif prop.name == "END":
            if len(stack) == 1 or stack[-1].name != prop.value.strip().upper():
                raise MailFormatError(f"line {number}: END:{prop.value} does not close BEGIN:{stack[-1].name}")
            stack.pop()
        else:
            stack[-1].properties.append(prop)
    calendars = [c for c in stack[0].children if c.name == "VCALENDAR"]
    if len(stack) != 1 or not calendars:
        raise MailFormatError("this is not a complete iCalendar file (BEGIN:VCALENDAR … END:VCALENDAR)")
    return calendars[0]


def content_line(line: str, number: int = 0) -> Property:
    """`NAME;P1=a,"b;c":value` → Property; `:` and `;` inside quotes do not split."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch in ";:" and not quoted:
            parts.append("".join(current))
            current = []
            if ch == ":":
                return _property(parts, line[i + 1:])
            continue
        current.append(ch)
    raise MailFormatError(f"line {number}: not an iCalendar content line: {line[:60]!r}")


def _property(parts: list[str], value: str) -> Property:
    params: dict[str, list[str]] = {}
    for raw in parts[1:]:
        key, _, values = raw.partition("=")
        params[key.strip().upper()] = [v.strip('"') for v in _split_unquoted(values, ",")]
    return Property(parts[0].strip().upper(), params, value)


def _split_unquoted(text: str, sep: str) -> list[str]:
    found, current, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            found.append("".join(current))
            current = []
        else:
            current.append(ch)
    found.append("".join(current))
    return found


def unescape(value: str) -> str:
    """TEXT escapes: \\n \\N newline, \\, \\; \\\\ literal."""
    return re.sub(r"\\([nN,;\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value).strip()


def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name.lstrip("/"))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def read_time(prop: Property, zones: dict[str, VTimezone], floating: tzinfo) -> datetime:
    """DATE-TIME in UTC (…Z), with TZID, or floating; a DATE is midnight of that day."""
    value = prop.value.strip()
    try:
        if prop.param("VALUE") == "DATE" or re.fullmatch(r"\d{8}", value):
            day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
            return datetime(day.year, day.month, day.day, tzinfo=floating).astimezone(UTC)
        naive = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        raise MailFormatError(f"{prop.name}: {value!r} is not an iCalendar date-time") from None
    if value.endswith("Z"):
        return naive.replace(tzinfo=UTC)
    tzid = prop.param("TZID")
    if tzid is None:
        return naive.replace(tzinfo=floating).astimezone(UTC)
    if tzid in zones:
        return zones[tzid].to_utc(naive)
    zone = _zone(tzid)
    if zone is None:
        raise MailFormatError(f"{prop.name}: unknown time zone {tzid!r} and no VTIMEZONE for it")
    return naive.replace(tzinfo=zone).astimezone(UTC)


def duration(text: str) -> timedelta:
    match = DURATION.match(text.strip())
    if not match:
        raise MailFormatError(f"DURATION: {text!r} is not an iCalendar duration")
    sign, weeks, days, hours, minutes, seconds = match.groups()
    span = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                     minutes=int(minutes or 0), seconds=int(seconds or 0))
    return -span if sign == "-" else span


def _mailto(value: str) -> str | None:
    address = value.strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    return address if "@" in address else None


def _meeting(event: Component, uid: str, zones: dict[str, VTimezone], floating: tzinfo) -> ParsedMeeting:
    start_prop = event.first("DTSTART")
    if start_prop is None:
        raise MailFormatError(f"meeting {uid}: no DTSTART")
    start = read_time(start_prop, zones, floating)
    end_prop, length = event.first("DTEND"), event.first("DURATION")
    if end_prop is not None:
        end = read_time(end_prop, zones, floating)
    elif length is not None:
        end = start + duration(length.value)
    else:  # RFC 5545: a DATE lasts a day, a DATE-TIME an instant
        end = start + (timedelta(days=1) if start_prop.param("VALUE") == "DATE" else timedelta())
    organizer = event.first("ORGANIZER")
    meeting = ParsedMeeting(
        uid=uid, subject=event.text("SUMMARY"), description=event.text("DESCRIPTION"),
        organizer=_mailto(organizer.value) if organizer else None, start=start, end=end,
        location=event.text("LOCATION"), online_meeting_url=_online_link(event),
        is_recurring=any(event.first(name) for name in RECURRENCE),
    )
    for attendee in event.all("ATTENDEE"):
        address = _mailto(attendee.value)
        if address is None or (attendee.param("CUTYPE") or "").upper() in NOT_PEOPLE:
            continue
        optional = (attendee.param("ROLE") or "").upper() in OPTIONAL_ROLES
        (meeting.optional if optional else meeting.required).append(address)
    meeting.attachments = _attachments(event)
    return meeting


def _online_link(event: Component) -> str | None:
    for name in ONLINE_MEETING:
        link = event.text(name)
        if link and urlparse(link).scheme in ("http", "https") and len(link) <= 1000:
            return link
    return None


def _attachments(event: Component) -> list[ParsedFile]:
    """Inline ATTACH;ENCODING=BASE64;VALUE=BINARY parts; links (ATTACH:https://…) are not files."""
    found: list[ParsedFile] = []
    for i, prop in enumerate(event.all("ATTACH"), 1):
        if (prop.param("ENCODING") or "").upper() != "BASE64":
            continue
        try:
            data = base64.b64decode(prop.value.strip(), validate=False)
        except (binascii.Error, ValueError):
            raise MailFormatError(f"ATTACH {i}: not valid base64") from None
        name = prop.param("X-FILENAME") or prop.param("FILENAME") or f"attachment-{i}"
        found.append(ParsedFile(name, prop.param("FMTTYPE") or "application/octet-stream", data))
    return found

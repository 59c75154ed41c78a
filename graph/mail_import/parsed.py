"""What a message file says, as plain values: the parsers' output."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class MailFormatError(ValueError):
    """The file is not a message (or calendar) we can read; the text says why."""


@dataclass(frozen=True)
class ParsedFile:
    """An attachment: its name, declared type (not trusted for storage), bytes, inline or not."""

    file_name: str
    content_type: str
    data: bytes
    inline: bool = False


@dataclass
class ParsedEmail:
    message_id: str | None
    subject: str | None
    sender: str | None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    sent_on: datetime | None = None
    in_reply_to: str | None = None
    categories: list[str] = field(default_factory=list)
    is_draft: bool = False
    body_html: str | None = None
    attachments: list[ParsedFile] = field(default_factory=list)


@dataclass
class ParsedMeeting:
    uid: str
    subject: str | None
    description: str | None = None
    organizer: str | None = None
    required: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    online_meeting_url: str | None = None
    is_recurring: bool = False
    attachments: list[ParsedFile] = field(default_factory=list)


def detect_kind(file_name: str | None, head: bytes) -> str:
    """"ics" for a calendar (by its first bytes, or its extension), else "eml"."""
    if head.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    return "ics" if (file_name or "").lower().endswith((".ics", ".ical", ".icalendar")) else "eml"

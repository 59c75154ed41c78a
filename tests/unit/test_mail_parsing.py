"""Reading .eml and .ics files (R-TRACK-1): the parts real mail programs get subtly different."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.mail_import import MailFormatError, detect_kind, parse_eml, parse_ics
from graph.mail_import.ics import content_line, duration, unescape

VTIMEZONE = """BEGIN:VTIMEZONE\r
TZID:Customized Time Zone\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


def calendar(event: str, zones: str = VTIMEZONE) -> bytes:
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{zones}BEGIN:VEVENT\r\nUID:u1\r\n{event}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


@pytest.mark.parametrize(("local", "utc"), [
    ("20250121T100000", "2025-01-21T09:00:00"),  # winter, +01
    ("20250715T100000", "2025-07-15T08:00:00"),  # summer, +02
    ("20250330T013000", "2025-03-30T00:30:00"),  # just before clocks go forward
    ("20250330T030000", "2025-03-30T01:00:00"),  # just after
    ("20250330T023000", "2025-03-30T01:30:00"),  # in the gap: read with the earlier offset
    ("20251026T023000", "2025-10-26T00:30:00"),  # in the overlap: the first occurrence
    ("20251026T033000", "2025-10-26T02:30:00"),  # after clocks went back
])
def test_a_files_own_time_zone_rules_convert_local_times(local: str, utc: str) -> None:
    """Outlook's zone names are not IANA names: the VTIMEZONE rules decide."""
    [meeting] = parse_ics(calendar(f"DTSTART;TZID=Customized Time Zone:{local}\r\nDURATION:PT1H\r\n"))
    assert meeting.start == datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert meeting.end == meeting.start + timedelta(hours=1)


def test_iana_names_utc_and_floating_times() -> None:
    [iana] = parse_ics(calendar("DTSTART;TZID=/Europe/Warsaw:20250715T100000\r\nDTEND:20250715T090000Z\r\n", ""))
    assert (iana.start.hour, iana.end.hour) == (8, 9)
    [floating] = parse_ics(calendar("DTSTART:20250115T100000\r\nDTEND:20250115T110000\r\n", ""),
                           default_zone="America/New_York")
    assert floating.start == datetime(2025, 1, 15, 15, tzinfo=UTC)
    [all_day] = parse_ics(calendar("DTSTART;VALUE=DATE:20250115\r\n", ""))
    assert all_day.end - all_day.start == timedelta(days=1)


def test_an_unknown_zone_without_definition_is_an_error() -> None:
    with pytest.raises(MailFormatError, match="unknown time zone"):
        parse_ics(calendar("DTSTART;TZID=Pacific Standard Time:20250115T100000\r\n", ""))


def test_folded_lines_may_split_a_utf8_character() -> None:
    """RFC 5545 folds at 75 octets, which may fall inside a character."""
    summary = "SUMMARY:Spotkanie w sprawie dostaw nart – Łódź".encode()
    cut = summary.index("Ł".encode()) + 1
    data = calendar("DTSTART:20250115T100000Z\r\n").replace(
        b"UID:u1\r\n", b"UID:u1\r\n" + summary[:cut] + b"\r\n " + summary[cut:] + b"\r\n")
    [meeting] = parse_ics(data)
    assert meeting.subject == "Spotkanie w sprawie dostaw nart – Łódź"


def test_content_lines_respect_quotes_and_escapes() -> None:
    prop = content_line('ATTENDEE;CN="Seller, Sam: Sales";ROLE=OPT-PARTICIPANT:mailto:sam@test.relate')
    assert (prop.name, prop.param("CN"), prop.param("ROLE"), prop.value) == (
        "ATTENDEE", "Seller, Sam: Sales", "OPT-PARTICIPANT", "mailto:sam@test.relate")
    assert unescape(r"a\, b\; c\\d\ne") == "a, b; c\\d\ne"
    assert duration("P1DT2H30M") == timedelta(days=1, hours=2, minutes=30)
    assert duration("-PT15M") == -timedelta(minutes=15)
    with pytest.raises(MailFormatError):
        content_line("no colon here")


def test_several_events_with_one_uid_are_a_recurring_series() -> None:
    data = calendar("DTSTART:20250115T100000Z\r\n").replace(
        b"END:VEVENT\r\n",
        b"END:VEVENT\r\nBEGIN:VEVENT\r\nUID:u1\r\nRECURRENCE-ID:20250122T100000Z\r\nDTSTART:20250123T100000Z\r\n"
        b"END:VEVENT\r\n", 1)
    [meeting] = parse_ics(data)
    assert meeting.is_recurring


def test_kind_by_content_first_then_extension() -> None:
    assert detect_kind("invite.eml", b"\xef\xbb\xbfBEGIN:VCALENDAR\r\n") == "ics"
    assert detect_kind("x.ICS", b"garbage") == "ics"
    assert detect_kind(None, b"From: a@b\r\n") == "eml"


def test_a_message_without_message_id_gets_a_stable_one() -> None:
    """R-TRACK-2 for files: importing the same bytes twice is still once."""
    data = b"From: a@x.example\r\nTo: b@y.example\r\nSubject: hi\r\n\r\nbody\r\n"
    first, second = parse_eml(data), parse_eml(data)
    assert first.message_id == second.message_id and first.message_id.endswith("@import.relate.invalid")
    assert first.sent_on is None and first.body_html == '<div style="white-space:pre-wrap">body\n</div>'


def test_a_forwarded_message_is_one_attachment_not_opened() -> None:
    inner = b"From: c@z.example\r\nSubject: original\r\n\r\ntext\r\n"
    data = (b"From: a@x.example\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
            b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n")
    [attached] = parse_eml(data).attachments
    assert attached.file_name == "message-1.eml" and b"Subject: original" in attached.data

"""The pure rules of tracking (R-TRACK-*): addresses, ids, working hours, related contacts, inline images."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph.rules import tracking as rules
from graph.rules.errors import DomainError, ErrorCode

HOURS = {d: ["08:00", "18:00"] for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Chris@Import.Example", "chris@import.example"),
    ('"Preston, Chris" <Chris@Import.Example>', "chris@import.example"),
    ("  <sam@test.relate>  ", "sam@test.relate"),
    ("not an address", None),
    ("@nowhere", None),
    ("", None),
    (None, None),
])
def test_addresses_are_compared_in_one_spelling(raw: str | None, expected: str | None) -> None:
    """R-TRACK-1: resolution matches any case and display-name form."""
    assert rules.normalise_address(raw) == expected


def test_header_values_split_into_addresses_once_each() -> None:
    values = ['"Seller, Sam" <Sam@test.relate>, b@x.example', "undisclosed-recipients:;", "B@X.example"]
    assert rules.split_addresses(values) == ["sam@test.relate", "b@x.example"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("<abc.123@mail.example>", "abc.123@mail.example"),
    ("  abc.123@mail.example ", "abc.123@mail.example"),
    ("<>", None),
    ("", None),
    (None, None),
])
def test_message_ids_lose_their_angle_brackets(raw: str | None, expected: str | None) -> None:
    """R-TRACK-2: `<id>` and `id` are the same message."""
    assert rules.normalise_message_id(raw) == expected


def test_in_reply_to_may_name_several_messages() -> None:
    """R-TRACK-5."""
    assert rules.replied_ids("<a@x> (comment) <b@y>") == ["a@x", "b@y"]
    assert rules.replied_ids("a@x") == ["a@x"]
    assert rules.replied_ids(None) == []


def test_subjects_are_never_empty_and_never_too_long() -> None:
    assert rules.tracked_subject("  ") == rules.NO_SUBJECT
    assert rules.tracked_subject("Re:\r\n  Pricing") == "Re: Pricing"
    long = rules.tracked_subject("x" * 1000)
    assert len(long) == rules.MAX_SUBJECT and long.endswith("…")


def test_drafts_and_recurring_meetings_are_refused_with_their_codes() -> None:
    """R-TRACK-3."""
    with pytest.raises(DomainError) as draft:
        rules.ensure_sent(True)
    assert draft.value.code == ErrorCode.INVALID_STATE
    with pytest.raises(DomainError) as series:
        rules.ensure_not_recurring(True)
    assert series.value.code == ErrorCode.NOT_SUPPORTED
    rules.ensure_sent(False)
    rules.ensure_not_recurring(False)


def test_mail_from_a_user_was_sent_anything_else_received() -> None:
    assert (rules.email_state(True), rules.email_state(False)) == ("SENT", "RECEIVED")


SAM = rules.Participant("Sam Seller", HOURS, "UTC")
WARSAW = rules.Participant("Zofia", HOURS, "Europe/Warsaw")


@pytest.mark.parametrize(("who", "start", "end", "fits"), [
    (SAM, "2025-01-21T08:00+00:00", "2025-01-21T18:00+00:00", True),   # exactly the working day
    (SAM, "2025-01-21T07:59+00:00", "2025-01-21T09:00+00:00", False),  # starts early
    (SAM, "2025-01-21T17:30+00:00", "2025-01-21T18:30+00:00", False),  # ends late
    (SAM, "2025-01-25T10:00+00:00", "2025-01-25T11:00+00:00", False),  # Saturday
    (SAM, "2025-01-21T17:00+00:00", "2025-01-22T09:00+00:00", False),  # overnight
    (WARSAW, "2025-01-21T07:00+00:00", "2025-01-21T08:00+00:00", True),   # 08:00 in Warsaw (winter)
    (WARSAW, "2025-07-15T06:00+00:00", "2025-07-15T07:00+00:00", True),   # 08:00 in Warsaw (summer)
    (WARSAW, "2025-01-21T17:30+00:00", "2025-01-21T18:00+00:00", False),  # 18:30 in Warsaw
    (rules.Participant("New", None, "UTC"), "2025-01-25T03:00+00:00", "2025-01-25T04:00+00:00", True),
])
def test_working_hours_are_per_weekday_in_the_users_zone(who: rules.Participant, start: str, end: str,
                                                          fits: bool) -> None:
    """R-TRACK-3: a user with no working hours set is not constrained."""
    assert (rules.outside_working_hours(at(start), at(end), who) is None) is fits


def test_working_hours_may_have_breaks_and_run_to_midnight() -> None:
    split = rules.Participant("Split", {"TUESDAY": [["08:00", "12:00"], ["13:00", "24:00"]]}, "UTC")
    assert rules.outside_working_hours(at("2025-01-21T09:00+00:00"), at("2025-01-21T11:00+00:00"), split) is None
    assert rules.outside_working_hours(at("2025-01-21T22:00+00:00"), at("2025-01-22T00:00+00:00"), split) is None
    reason = rules.outside_working_hours(at("2025-01-21T11:30+00:00"), at("2025-01-21T13:30+00:00"), split)
    assert reason == "Split works 08:00–12:00, 13:00–24:00 on Tuesday (UTC); the meeting is 11:30–13:30 there"


def test_the_error_names_every_user_outside_their_hours() -> None:
    """R-TRACK-3: one OUTSIDE_WORKING_HOURS problem per user, naming them."""
    with pytest.raises(DomainError) as refused:
        rules.check_working_hours(at("2025-01-21T17:30+00:00"), at("2025-01-21T18:30+00:00"), [SAM, WARSAW])
    assert [p.code for p in refused.value.problems] == [ErrorCode.OUTSIDE_WORKING_HOURS] * 2
    assert [p.message for p in refused.value.problems] == [
        "outside working hours: Sam Seller works 08:00–18:00 on Tuesday (UTC); the meeting is 17:30–18:30 there",
        "outside working hours: Zofia works 08:00–18:00 on Tuesday (Europe/Warsaw); the meeting is 18:30–19:30 there",
    ]


def _party(role: str, kind: str | None, pid: str | None, address: str | None) -> dict[str, str | None]:
    return {"role": role, "party_type": kind, "party_id": pid, "address": address}


def test_related_contacts_taken_off_keep_their_address_and_added_ones_take_theirs() -> None:
    """R-TRACK-6: the party list carries exactly the wanted contacts."""
    parties = [
        _party("FROM", "CONTACT", "c1", "chris@x.example"),
        _party("TO", "USER", "u1", "sam@test.relate"),
        _party("CC", None, None, "olga@y.example"),
        _party("BCC", None, None, "olga@y.example"),
        _party("TO", "CONTACT", "c9", None),
    ]
    result = rules.relate_contacts(parties, {"c2": "Olga@Y.example", "c3": "new@z.example"}, "CC")
    assert result == [
        _party("FROM", None, None, "chris@x.example"),
        _party("TO", "USER", "u1", "sam@test.relate"),
        _party("CC", "CONTACT", "c2", "olga@y.example"),
        _party("BCC", "CONTACT", "c2", "olga@y.example"),
        _party("CC", "CONTACT", "c3", "new@z.example"),
    ]
    assert rules.relate_contacts(parties[:1], {"c1": "chris@x.example"}, "CC") == parties[:1]
    assert rules.added_contact_role("APPOINTMENT") == "OPTIONAL_ATTENDEE"


@pytest.mark.parametrize(("content_type", "cid", "disposition", "body", "marked", "inline"), [
    ("image/png", "<logo@x>", None, '<img src="cid:logo@x">', False, True),
    ("application/pdf", "<doc@x>", "attachment", '<a href="cid:DOC@x">', False, True),
    ("image/png", "<logo@x>", "inline", "<p>no reference</p>", False, True),
    ("application/pdf", "<doc@x>", "inline", "<p>Apple Mail shows PDFs inline</p>", False, False),
    ("image/jpeg", None, "attachment", "<p>photo attached</p>", False, False),
    ("image/jpeg", None, None, None, True, True),
])
def test_inline_images_are_the_ones_the_body_shows(content_type: str, cid: str | None, disposition: str | None,
                                                    body: str | None, marked: bool, inline: bool) -> None:
    """R-TRACK-4: inline images are skipped; a real attachment is not mistaken for one."""
    assert rules.is_inline_image(content_type, cid, disposition, body, marked) is inline

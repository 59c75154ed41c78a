"""Pure activity rules: state transitions (R-ACT-3, R-ACT-6), logged calls (R-CALL-1),
field checks (R-APPT-1, R-MAIL-1) and choosing a phone number (R-CALL-1, R-SMS-1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.rules import activities as fields
from graph.rules import activity_states as states
from graph.rules.errors import DomainError, ErrorCode

T0 = datetime(2031, 1, 1, 10, tzinfo=UTC)


def refused(call, *args, **kwargs) -> DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize(("activity_type", "state", "completed"), [
    ("TASK", "OPEN", "COMPLETED"), ("PHONE_CALL", "OPEN", "COMPLETED"), ("APPOINTMENT", "SCHEDULED", "COMPLETED"),
    ("EMAIL", "DRAFT", "SENT"), ("EMAIL", "PENDING_SEND", "SENT"), ("TEXT_MESSAGE", "OPEN", "COMPLETED"),
])
def test_open_activities_complete_to_their_type_state_and_cancel(activity_type: str, state: str,
                                                                  completed: str) -> None:
    assert states.completion(activity_type, state) == completed
    assert states.cancellation(activity_type, state) == "CANCELED"
    assert completed in states.STATES_BY_TYPE[activity_type]


@pytest.mark.parametrize("state", sorted(states.CLOSED_STATES))
def test_closed_activities_refuse_complete_cancel_and_edits(state: str) -> None:
    for transition in (states.completion, states.cancellation):
        assert refused(transition, "TASK", state).code == ErrorCode.INVALID_STATE
    assert refused(states.require_editable, state).code == ErrorCode.INVALID_STATE


@pytest.mark.parametrize("state", sorted(states.OPEN_STATES))
def test_open_activities_are_editable_and_cannot_be_reopened(state: str) -> None:
    states.require_editable(state)
    assert refused(states.reopening, "TASK", state).code == ErrorCode.INVALID_STATE


def test_reopening_returns_to_the_types_open_state_but_never_for_sent_or_received_email() -> None:
    assert states.reopening("TASK", "COMPLETED") == "OPEN"
    assert states.reopening("APPOINTMENT", "CANCELED") == "SCHEDULED"
    assert states.reopening("EMAIL", "CANCELED") == "DRAFT"
    for final in ("SENT", "RECEIVED"):
        assert refused(states.reopening, "EMAIL", final).code == ErrorCode.INVALID_STATE


def test_a_logged_call_is_completed_unless_planned() -> None:
    assert states.logged_call_state(None) == "COMPLETED"
    assert states.logged_call_state("OPEN") == "OPEN"
    error = refused(states.logged_call_state, "SENT")
    assert error.code == ErrorCode.VALIDATION and error.problems[0].field == ("input", "state")


def test_status_reasons_follow_type_state_and_direction() -> None:
    assert states.status_reason("PHONE_CALL", "COMPLETED", "OUTGOING") == "MADE"
    assert states.status_reason("PHONE_CALL", "COMPLETED", "INCOMING") == "RECEIVED"
    assert states.status_reason("TASK", "OPEN") == "NOT_STARTED"
    assert states.status_reason("EMAIL", "SENT") == "SENT"


def test_state_filters_intersect_a_group_with_given_states() -> None:
    assert states.states_for(None, None) is None
    assert states.states_for(None, "ALL") is None
    assert states.states_for(None, "OPEN") == states.OPEN_STATES
    assert states.states_for(["SENT", "OPEN"], "CLOSED") == {"SENT"}
    assert states.states_for(["SENT"], None) == {"SENT"}


def test_fields_are_trimmed_and_every_problem_is_reported_with_its_input_name() -> None:
    error = refused(fields.check_fields, "APPOINTMENT",
                    {"subject": " ", "scheduled_start": T0, "scheduled_end": T0 - timedelta(hours=1),
                     "online_meeting_url": "ftp://x", "priority": "URGENT"},
                    creating=True, names={"scheduled_start": "start", "scheduled_end": "end"})
    assert sorted(p.field for p in error.problems) == [  # type: ignore[type-var]
        ("input", "end"), ("input", "onlineMeetingUrl"), ("input", "priority"), ("input", "subject"),
    ]
    cleaned = fields.check_fields("TASK", {"subject": "  Call back ", "description": ""}, creating=True)
    assert cleaned == {"subject": "Call back", "description": None}


def test_an_appointment_needs_both_times_and_other_types_refuse_its_fields() -> None:
    missing = refused(fields.check_fields, "APPOINTMENT", {"subject": "x", "scheduled_start": T0}, creating=True)
    assert [p.field for p in missing.problems] == [("input", "scheduledEnd")]
    fields.check_fields("APPOINTMENT", {"scheduled_start": T0}, creating=False)  # the end is kept as it is
    wrong = refused(fields.check_fields, "TASK", {"location": "HQ", "phone_number": "+1 555"}, creating=False)
    assert sorted(p.field for p in wrong.problems) == [  # type: ignore[type-var]
        ("input", "location"), ("input", "phoneNumber"),
    ]


def test_categories_are_trimmed_deduplicated_and_bounded() -> None:
    assert fields.clean_categories([" a ", "", "b", "a"]) == ["a", "b"]
    assert fields.clean_categories(None) == []
    assert refused(fields.clean_categories, ["x" * 101]).problems[0].field == ("input", "categories", "0")
    assert refused(fields.clean_categories, [str(i) for i in range(51)]).code == ErrorCode.VALIDATION


def test_an_appointment_is_due_when_it_starts() -> None:
    assert fields.effective_due("APPOINTMENT", None, T0) == T0
    assert fields.effective_due("TASK", None, T0) is None


def test_the_phone_number_given_wins_then_business_then_mobile_then_a_phone_address() -> None:
    person = fields.Reachable(name="Chris", business_phone="+1 555 0101", mobile_phone="+1 555 0199")
    assert fields.choose_phone_number("+44 1", person, what="person called") == "+44 1"
    assert fields.choose_phone_number(None, person, what="person called") == "+1 555 0101"
    mobile_only = fields.Reachable(name="Kim", mobile_phone="+1 555 0177")
    assert fields.choose_phone_number(None, mobile_only, what="recipient") == "+1 555 0177"
    bare = fields.Reachable(name="+1 555 0133", address="+1 555 0133")
    assert fields.choose_phone_number(None, bare, what="recipient") == "+1 555 0133"


def test_no_number_anywhere_is_a_missing_contact_point_naming_the_person() -> None:
    for party in (fields.Reachable(name="Nobody"), fields.Reachable(name="a@b.test", address="a@b.test"), None):
        error = refused(fields.choose_phone_number, None, party, what="recipient")
        assert error.code == ErrorCode.MISSING_CONTACT_POINT and error.problems[0].field == ("input", "phoneNumber")
    named = refused(fields.choose_phone_number, None, fields.Reachable(name="Nobody"), what="x")
    assert "Nobody" in named.problems[0].message


def test_do_not_phone_and_do_not_text_warn_until_acknowledged() -> None:
    shy = fields.Reachable(name="Shy", do_not_phone=True, do_not_text=True)
    assert refused(fields.contact_warning, shy, "PHONE_CALL", False).code == ErrorCode.CONFIRMATION_REQUIRED
    assert refused(fields.contact_warning, shy, "TEXT_MESSAGE", False).code == ErrorCode.CONFIRMATION_REQUIRED
    fields.contact_warning(shy, "PHONE_CALL", True)
    fields.contact_warning(fields.Reachable(name="Happy"), "PHONE_CALL", False)
    fields.contact_warning(fields.Reachable(name="Texter", do_not_phone=True), "TEXT_MESSAGE", False)


def test_a_text_message_subject_is_its_first_line() -> None:
    assert fields.subject_from_text("Running late\nsee you") == "Running late"
    long = fields.subject_from_text("x" * 300)
    assert len(long) == 100 and long.endswith("…")
    assert refused(fields.check_text, "  ").problems[0].field == ("input", "text")


def test_a_completion_note_needs_a_title_or_text_and_bulk_calls_are_bounded() -> None:
    assert fields.check_note(" Done ", None) == ("Done", None)
    assert refused(fields.check_note, " ", "").problems[0].field == ("input", "note")
    fields.check_bulk_size(1)
    assert refused(fields.check_bulk_size, 0).code == ErrorCode.VALIDATION
    assert refused(fields.check_bulk_size, fields.MAX_BULK + 1).code == ErrorCode.VALIDATION

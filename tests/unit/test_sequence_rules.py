"""Sequence and work-list rules, one function at a time (R-SEQ-1, R-WL-3, R-WL-4, R-MAIL-1, R-MAIL-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.rules import mail, sequences
from graph.rules.activities import Reachable
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.sequences import StepSpec

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def task(subject: str = "Do it") -> StepSpec:
    return StepSpec("TASK", subject)


def wait(**kw: float) -> StepSpec:
    return StepSpec("WAIT", wait=timedelta(**kw))


def problems(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[str, tuple[str, ...] | None]]:
    return [(p.code.value, p.field) for p in error.value.problems]


# --- R-SEQ-1: what a sequence may be -----------------------------------------------------

def test_steps_are_trimmed_and_kept_in_order() -> None:
    cleaned = sequences.check_steps([StepSpec("EMAIL", "  Intro  ", " Say hi "), wait(days=2),
                                     StepSpec("MEETING", "Demo")])
    assert [(s.kind, s.subject, s.instructions) for s in cleaned] == [
        ("EMAIL", "Intro", "Say hi"), ("WAIT", None, None), ("MEETING", "Demo", None)]


def test_a_wait_of_thirty_days_is_allowed_and_one_minute_more_is_not() -> None:
    sequences.check_steps([task(), wait(days=30), task()])
    with pytest.raises(DomainError) as error:
        sequences.check_steps([task(), wait(days=30, minutes=1), task()])
    assert problems(error) == [("VALIDATION", ("input", "steps", "1", "wait"))]


def test_a_wait_cannot_be_the_last_step() -> None:
    with pytest.raises(DomainError) as error:
        sequences.check_steps([task(), wait(days=1)])
    assert problems(error) == [("VALIDATION", ("input", "steps", "1"))]
    assert "last step" in error.value.problems[0].message


def test_two_waits_in_a_row_and_empty_waits_are_refused_all_at_once() -> None:
    with pytest.raises(DomainError) as error:
        sequences.check_steps([task(), wait(days=20), wait(days=20), StepSpec("WAIT"), task(), StepSpec("TASK", " ")])
    assert problems(error) == [
        ("VALIDATION", ("input", "steps", "2")),
        ("VALIDATION", ("input", "steps", "3", "wait")),
        ("VALIDATION", ("input", "steps", "3")),
        ("VALIDATION", ("input", "steps", "5", "subject")),
    ]


def test_a_sequence_needs_an_activity_step_and_only_waits_wait() -> None:
    with pytest.raises(DomainError):
        sequences.check_steps([])
    with pytest.raises(DomainError) as error:
        sequences.check_steps([StepSpec("TASK", "x", wait=timedelta(days=1)), StepSpec("NAP", "y")])
    assert problems(error) == [("VALIDATION", ("input", "steps", "0", "wait")),
                               ("VALIDATION", ("input", "steps", "1", "kind"))]


def test_only_managers_and_administrators_define_sequences() -> None:
    assert sequences.may_define_sequences({"sales_manager"})
    assert sequences.may_define_sequences({"salesperson", "system_administrator"})
    assert not sequences.may_define_sequences({"salesperson"})
    assert not sequences.may_define_sequences(set())


# --- next-step due ---------------------------------------------------------------------

STEPS = [StepSpec("EMAIL", "Intro"), wait(days=2), StepSpec("PHONE_CALL", "Call"), StepSpec("TASK", "Follow up"),
         wait(hours=4), StepSpec("MEETING", "Demo")]


def test_the_first_step_is_due_at_once_and_a_leading_wait_delays_it() -> None:
    first = sequences.next_step(STEPS, 0, NOW)
    assert first is not None and (first.position, first.spec.subject, first.due) == (1, "Intro", NOW)
    delayed = sequences.next_step([wait(days=1), task()], 0, NOW)
    assert delayed is not None and (delayed.position, delayed.due) == (2, NOW + timedelta(days=1))


def test_the_next_step_is_due_after_the_waits_since_the_previous_one_ended() -> None:
    done_at = NOW + timedelta(hours=5)
    call = sequences.next_step(STEPS, 1, done_at)
    assert call is not None and (call.position, call.due) == (3, done_at + timedelta(days=2))
    follow_up = sequences.next_step(STEPS, 3, done_at)
    assert follow_up is not None and (follow_up.position, follow_up.due) == (4, done_at)
    assert sequences.next_step(STEPS, 6, done_at) is None


def test_upcoming_lists_every_later_step_with_its_expected_due() -> None:
    later = sequences.upcoming(STEPS, 1, NOW)
    # Waits are listed too (positions 2 and 5), each due when it is over.
    assert [(u.position, u.due) for u in later] == [
        (2, NOW + timedelta(days=2)), (3, NOW + timedelta(days=2)), (4, NOW + timedelta(days=2)),
        (5, NOW + timedelta(days=2, hours=4)), (6, NOW + timedelta(days=2, hours=4))]
    assert sequences.upcoming(STEPS, 6, NOW) == []


# --- R-WL-3, R-WL-4 ---------------------------------------------------------------------

def test_the_current_step_keeps_its_owner_and_later_steps_get_the_new_one() -> None:
    assert sequences.owner_after_owner_change(True, "old", "new") == "old"
    assert sequences.owner_after_owner_change(False, "old", "new") == "new"


def test_a_manual_activity_cannot_be_snoozed_and_a_step_only_into_the_future() -> None:
    with pytest.raises(DomainError) as manual:
        sequences.check_snooze(NOW + timedelta(days=1), NOW, manual=True)
    assert manual.value.code == ErrorCode.NOT_SUPPORTED
    with pytest.raises(DomainError) as past:
        sequences.check_snooze(NOW, NOW, manual=False)
    assert problems(past) == [("VALIDATION", ("input", "until"))]
    assert sequences.check_snooze(NOW + timedelta(minutes=1), NOW, manual=False) == NOW + timedelta(minutes=1)


def test_skipping_a_step_is_skipped_and_skipping_a_manual_activity_cancels_it() -> None:
    assert sequences.skipped_state(True) == "SKIPPED"
    assert sequences.skipped_state(False) == "CANCELED"


def test_a_manual_items_state_follows_its_activity() -> None:
    assert sequences.item_state(None, "SENT") == "COMPLETED"
    assert sequences.item_state(None, "CANCELED") == "CANCELED"
    assert sequences.item_state(None, "DRAFT") == "OPEN"
    assert sequences.item_state("SKIPPED", "CANCELED") == "SKIPPED"


# --- R-MAIL-1, R-MAIL-2 -------------------------------------------------------------------

def test_a_recipient_without_an_address_is_named_and_do_not_email_warns() -> None:
    nobody = Reachable(name="No Mail")
    with pytest.raises(DomainError) as missing:
        mail.check_recipients([(nobody, ("input", "to", "0"))], acknowledged=True)
    assert problems(missing) == [("MISSING_CONTACT_POINT", ("input", "to", "0"))]
    assert "No Mail" in missing.value.problems[0].message
    shy = Reachable(name="Shy Person", email="shy@example.test", do_not_email=True)
    with pytest.raises(DomainError) as warned:
        mail.check_recipients([(shy, ("input", "to", "0"))], acknowledged=False)
    assert warned.value.code == ErrorCode.CONFIRMATION_REQUIRED and "Shy Person" in str(warned.value)
    mail.check_recipients([(shy, ("input", "to", "0"))], acknowledged=True)


def test_a_send_time_is_in_the_future_and_within_a_year() -> None:
    assert mail.check_send_at(NOW + timedelta(seconds=1), NOW) == NOW + timedelta(seconds=1)
    for bad in (NOW, NOW - timedelta(minutes=1), NOW + timedelta(days=367)):
        with pytest.raises(DomainError):
            mail.check_send_at(bad, NOW)


def test_retries_wait_longer_each_time_up_to_an_hour() -> None:
    delays = [mail.retry_delay(n) for n in range(1, 10)]
    assert delays[0] == timedelta(minutes=1) and delays[1] == timedelta(minutes=2)
    assert delays == sorted(delays) and delays[-1] == timedelta(hours=1)

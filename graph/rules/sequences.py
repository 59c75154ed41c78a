"""Sequence and work-list rules (R-SEQ-1, R-WL-1…4): pure functions, no session, no clock.

A sequence is a list of steps: activity steps (EMAIL, PHONE_CALL, MEETING, TEXT_MESSAGE,
TASK) and WAIT steps between them. The step after a finished one is the next activity
step, due when the waits in between have passed, counted from when the previous step
ended (or from connecting, for the first).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import unusable_text

ACTIVITY_KINDS = ("EMAIL", "PHONE_CALL", "MEETING", "TEXT_MESSAGE", "TASK")
WAIT = "WAIT"
KINDS = (*ACTIVITY_KINDS, WAIT)
# The activity each step kind creates, and back: a work-list item's kind is its activity's.
ACTIVITY_TYPE = {"EMAIL": "EMAIL", "PHONE_CALL": "PHONE_CALL", "MEETING": "APPOINTMENT",
                 "TEXT_MESSAGE": "TEXT_MESSAGE", "TASK": "TASK"}
KIND_OF_ACTIVITY = {v: k for k, v in ACTIVITY_TYPE.items()}
MAX_WAIT = timedelta(days=30)
MAX_STEPS = 50
MAX_NAME = 200
MAX_SUBJECT = 400
MAX_TEXT = 4000
# A meeting step books this long until the seller moves it.
MEETING_LENGTH = timedelta(minutes=30)
PRIORITIES = ("LOW", "NORMAL", "HIGH")
# Who defines sequences (R-SEQ-1: "a manager defines a sequence").
DEFINING_ROLES = frozenset({"sales_manager", "system_administrator"})
# Records a sequence can be connected to.
SEQUENCE_RECORD_TYPES = ("LEAD", "OPPORTUNITY")

# Run states: connected (ACTIVE, PAUSED) or ended (COMPLETED, DISCONNECTED).
ACTIVE, PAUSED, COMPLETED, DISCONNECTED = "ACTIVE", "PAUSED", "COMPLETED", "DISCONNECTED"
CONNECTED_STATES = frozenset({ACTIVE, PAUSED})
# Step states.
OPEN, DONE, SKIPPED, CANCELED = "OPEN", "COMPLETED", "SKIPPED", "CANCELED"
# Activity states that still need the seller: a PENDING_SEND email goes out by itself.
WORK_STATES = frozenset({"OPEN", "DRAFT", "SCHEDULED"})


@dataclass(frozen=True)
class StepSpec:
    """One step as defined: `wait` only for WAIT steps, `subject` only for activity steps."""

    kind: str
    subject: str | None = None
    instructions: str | None = None
    priority: str = "NORMAL"
    wait: timedelta | None = None

    @property
    def is_wait(self) -> bool:
        return self.kind == WAIT


def spec_of(step: Any) -> StepSpec:
    """A stored step (anything with the step columns) as a `StepSpec`."""
    wait = timedelta(minutes=step.wait_minutes) if step.wait_minutes is not None else None
    return StepSpec(step.kind, step.subject, step.instructions, step.priority, wait)


def may_define_sequences(role_names: Collection[str]) -> bool:
    return bool(DEFINING_ROLES & set(role_names))


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def check_name(name: str | None, field: tuple[str, ...] = ("input", "name")) -> str:
    cleaned = _text(name)
    if cleaned is None:
        raise DomainError(ErrorCode.VALIDATION, "a sequence needs a name", field)
    why = unusable_text(cleaned, MAX_NAME)
    if why is not None:
        raise DomainError(ErrorCode.VALIDATION, f"the name {why}", field)
    return cleaned


def check_steps(steps: Sequence[StepSpec]) -> list[StepSpec]:
    """R-SEQ-1: every problem at once, each at its step's input path.

    At least one activity step; an activity step has a subject and no wait; a WAIT has a
    wait of more than nothing and at most 30 days, is not the last step, and does not
    follow another wait (two waits in a row would be one wait over the limit).
    """
    problems: list[Problem] = []
    cleaned: list[StepSpec] = []
    if not steps:
        raise DomainError(ErrorCode.VALIDATION, "a sequence needs at least one step", ("input", "steps"))
    if len(steps) > MAX_STEPS:
        raise DomainError(ErrorCode.VALIDATION, f"at most {MAX_STEPS} steps", ("input", "steps"))
    for i, step in enumerate(steps):
        path = ("input", "steps", str(i))
        subject, instructions = _text(step.subject), _text(step.instructions)
        if step.kind not in KINDS:
            problems.append(Problem(ErrorCode.VALIDATION, f"unknown step kind {step.kind}", (*path, "kind")))
            continue
        why = unusable_text(instructions, MAX_TEXT) if instructions is not None else None
        if why is not None:
            problems.append(Problem(ErrorCode.VALIDATION, f"the instructions text {why}", (*path, "instructions")))
        if step.priority not in PRIORITIES:
            problems.append(Problem(ErrorCode.VALIDATION, "priority is LOW, NORMAL or HIGH", (*path, "priority")))
        if step.is_wait:
            problems.extend(_wait_problems(steps, i, path))
            cleaned.append(StepSpec(WAIT, None, instructions, step.priority, step.wait))
            continue
        if subject is None:
            problems.append(Problem(ErrorCode.VALIDATION, "an activity step needs a subject", (*path, "subject")))
        elif (why := unusable_text(subject, MAX_SUBJECT)) is not None:
            problems.append(Problem(ErrorCode.VALIDATION, f"the subject {why}", (*path, "subject")))
        if step.wait:
            problems.append(Problem(ErrorCode.VALIDATION,
                                    "only a WAIT step waits: put a WAIT step before this one", (*path, "wait")))
        cleaned.append(StepSpec(step.kind, subject, instructions, step.priority, None))
    if not problems and all(s.is_wait for s in cleaned):
        problems.append(Problem(ErrorCode.VALIDATION, "a sequence needs at least one activity step",
                                ("input", "steps")))
    if problems:
        raise DomainError(problems=problems)
    return cleaned


def _wait_problems(steps: Sequence[StepSpec], i: int, path: tuple[str, ...]) -> list[Problem]:
    found: list[Problem] = []
    wait = steps[i].wait
    if wait is None or wait <= timedelta(0):
        found.append(Problem(ErrorCode.VALIDATION, "a wait needs a length of more than zero", (*path, "wait")))
    elif wait > MAX_WAIT:
        found.append(Problem(ErrorCode.VALIDATION, "a wait is at most 30 days", (*path, "wait")))
    if i == len(steps) - 1:
        found.append(Problem(ErrorCode.VALIDATION, "a wait cannot be the last step", path))
    elif i > 0 and steps[i - 1].kind == WAIT:
        found.append(Problem(ErrorCode.VALIDATION, "two waits in a row: make them one wait of at most 30 days",
                             path))
    return found


@dataclass(frozen=True)
class NextStep:
    """The activity step after a position, and when it is due."""

    position: int  # 1-based
    spec: StepSpec
    due: datetime


def next_step(steps: Sequence[StepSpec], after_position: int, since: datetime) -> NextStep | None:
    """The first activity step after `after_position` (0: from the start), due `since` plus
    the waits passed on the way; None when the sequence has no step left."""
    due = since
    for index in range(after_position, len(steps)):
        spec = steps[index]
        if spec.is_wait:
            due += spec.wait or timedelta(0)
            continue
        return NextStep(index + 1, spec, due)
    return None


def upcoming(steps: Sequence[StepSpec], current_position: int, current_due: datetime) -> list[NextStep]:
    """Every step after the current one, WAIT steps included (so the list and the items'
    `position`, which counts waits, agree; Dynamics' Up next shows waits too). Each comes
    with the due it would get if each step before it were done exactly when due (an
    estimate: real dues follow real work); a wait's is when it is over."""
    found: list[NextStep] = []
    due = current_due
    for index in range(current_position, len(steps)):
        spec = steps[index]
        if spec.is_wait:
            due += spec.wait or timedelta(0)
        found.append(NextStep(index + 1, spec, due))
    return found


def owner_after_owner_change(is_current: bool, step_owner_id: Any, new_owner_id: Any) -> Any:
    """R-WL-4: the current step stays with whoever has it; later steps go to the new owner."""
    return step_owner_id if is_current else new_owner_id


def check_snooze(until: datetime | None, now: datetime, *, manual: bool) -> datetime:
    """R-WL-3: snooze a step until a later time; a manual activity outside a sequence cannot be."""
    if manual:
        raise DomainError(ErrorCode.NOT_SUPPORTED,
                          "a manual activity outside a sequence cannot be snoozed; change its due date instead",
                          ("input", "id"))
    if until is None or until <= now:
        raise DomainError(ErrorCode.VALIDATION, "snooze until a time in the future", ("input", "until"))
    return until


def skipped_state(in_sequence: bool) -> str:
    """R-WL-3: a skipped step is SKIPPED (shown with the completed ones); a skipped manual
    activity outside a sequence is CANCELED."""
    return SKIPPED if in_sequence else CANCELED


def require_connectable(record_type: str, field: tuple[str, ...] = ("input", "recordId")) -> None:
    if record_type not in SEQUENCE_RECORD_TYPES:
        raise DomainError(ErrorCode.VALIDATION, "a sequence is connected to a lead or an opportunity", field)


def require_run_state(state: str, wanted: Collection[str], action: str) -> None:
    if state not in wanted:
        raise DomainError(ErrorCode.INVALID_STATE, f"the sequence is {state.lower()}: it cannot be {action}",
                          ("input", "recordId"))


def item_state(step_state: str | None, activity_state: str) -> str:
    """A work-list item's state: its step's, or for a manual activity its activity's."""
    if step_state is not None:
        return step_state
    if activity_state in ("COMPLETED", "SENT", "RECEIVED"):
        return DONE
    if activity_state == "CANCELED":
        return CANCELED
    return OPEN


def step_state_after(activity_state: str) -> str | None:
    """R-WL-3: what a current step becomes once its activity is closed by any path —
    COMPLETED when the activity was done (completed, sent, received), SKIPPED when it was
    canceled — or None while the activity is still open."""
    if activity_state in ("COMPLETED", "SENT", "RECEIVED"):
        return DONE
    if activity_state == "CANCELED":
        return SKIPPED
    return None

"""Activity types, states and their transitions (R-ACT-3, R-ACT-6): pure functions.

Every transition answers either the new state or a `DomainError(INVALID_STATE)`, so the
bulk commands can report "why not" per id without knowing the rules themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.rules.errors import DomainError, ErrorCode

TYPES = ("TASK", "PHONE_CALL", "EMAIL", "APPOINTMENT", "TEXT_MESSAGE")
PRIORITIES = ("LOW", "NORMAL", "HIGH")
PARTY_ROLES = ("FROM", "TO", "CC", "BCC", "REQUIRED_ATTENDEE", "OPTIONAL_ATTENDEE", "ORGANIZER")
DIRECTIONS = ("INCOMING", "OUTGOING")

# The state a new activity of each type starts in.
INITIAL_STATE = {"TASK": "OPEN", "PHONE_CALL": "OPEN", "EMAIL": "DRAFT", "APPOINTMENT": "SCHEDULED",
                 "TEXT_MESSAGE": "OPEN"}
OPEN_STATES = frozenset({"OPEN", "DRAFT", "PENDING_SEND", "SCHEDULED"})
COMPLETED_STATES = frozenset({"COMPLETED", "SENT", "RECEIVED"})
CLOSED_STATES = COMPLETED_STATES | {"CANCELED"}
STATE_GROUPS = {"OPEN": OPEN_STATES, "CLOSED": CLOSED_STATES}

# The states each type can be in (R-ACT-3).
STATES_BY_TYPE = {
    "TASK": frozenset({"OPEN", "COMPLETED", "CANCELED"}),
    "PHONE_CALL": frozenset({"OPEN", "COMPLETED", "CANCELED"}),
    "TEXT_MESSAGE": frozenset({"OPEN", "COMPLETED", "CANCELED"}),
    "APPOINTMENT": frozenset({"SCHEDULED", "COMPLETED", "CANCELED"}),
    "EMAIL": frozenset({"DRAFT", "PENDING_SEND", "SENT", "RECEIVED", "CANCELED"}),
}

# A sent or received email records what went over the wire; like Dynamics 365 we never
# turn it back into something editable.
FINAL_STATES = frozenset({"SENT", "RECEIVED"})

# Status reasons in the spirit of Dynamics 365 (statuscode), per type and state; a
# direction-dependent one is keyed by (type, state, direction).
_STATUS_REASONS = {
    ("TASK", "OPEN"): "NOT_STARTED",
    ("APPOINTMENT", "SCHEDULED"): "BUSY",
    ("PHONE_CALL", "COMPLETED", "OUTGOING"): "MADE",
    ("PHONE_CALL", "COMPLETED", "INCOMING"): "RECEIVED",
    ("TEXT_MESSAGE", "COMPLETED", "OUTGOING"): "SENT",
    ("TEXT_MESSAGE", "COMPLETED", "INCOMING"): "RECEIVED",
}


def is_open(state: str) -> bool:
    return state in OPEN_STATES


def is_closed(state: str) -> bool:
    return state in CLOSED_STATES


def completed_state(activity_type: str) -> str:
    """The state "mark complete" moves an activity to: an email counts as SENT."""
    return "SENT" if activity_type == "EMAIL" else "COMPLETED"


def reopened_state(activity_type: str) -> str:
    return INITIAL_STATE[activity_type]


def status_reason(activity_type: str, state: str, direction: str | None = None) -> str:
    """The finer reason shown beside the state, e.g. a completed outgoing call was MADE."""
    return (_STATUS_REASONS.get((activity_type, state, direction or "OUTGOING"))
            or _STATUS_REASONS.get((activity_type, state))
            or state)


def states_for(states: Sequence[str] | None, group: str | None) -> frozenset[str] | None:
    """The states a list filter keeps: the given ones, within the group; None means all."""
    wanted = frozenset(states) if states else None
    if group and group != "ALL":
        wanted = STATE_GROUPS[group] if wanted is None else wanted & STATE_GROUPS[group]
    return wanted


def require_editable(state: str, what: str = "activity") -> None:
    """R-ACT-3: a closed activity is read-only (except its notes)."""
    if is_closed(state):
        raise DomainError(ErrorCode.INVALID_STATE,
                          f"the {what} is {state.lower()} and read-only; reopen it to change it")


def completion(activity_type: str, state: str) -> str:
    """R-ACT-6: open → its completed state; a closed one is refused."""
    if is_closed(state):
        raise DomainError(ErrorCode.INVALID_STATE, f"the activity is already {state.lower()}")
    return completed_state(activity_type)


def cancellation(activity_type: str, state: str) -> str:
    if is_closed(state):
        raise DomainError(ErrorCode.INVALID_STATE, f"the activity is already {state.lower()}")
    return "CANCELED"


def reopening(activity_type: str, state: str) -> str:
    """Closed → the type's open state. Open ones, and sent or received emails, are refused."""
    if is_open(state):
        raise DomainError(ErrorCode.INVALID_STATE, f"the activity is {state.lower()}, not closed")
    if activity_type == "EMAIL" and state in FINAL_STATES:
        raise DomainError(ErrorCode.INVALID_STATE,
                          f"a {state.lower()} email records a message that went out or came in; "
                          "it cannot be reopened")
    return reopened_state(activity_type)


def logged_call_state(requested: str | None) -> str:
    """R-CALL-1: logging a call records one that happened (COMPLETED); OPEN plans one."""
    if requested is None:
        return "COMPLETED"
    if requested not in ("OPEN", "COMPLETED"):
        raise DomainError(ErrorCode.VALIDATION, "a logged call is COMPLETED, or OPEN for a planned call",
                          ("input", "state"))
    return requested

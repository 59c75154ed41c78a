"""Activity types, states and their transitions (R-ACT-3)."""

from __future__ import annotations

TYPES = ("TASK", "PHONE_CALL", "EMAIL", "APPOINTMENT", "TEXT_MESSAGE")
PRIORITIES = ("LOW", "NORMAL", "HIGH")
PARTY_ROLES = ("FROM", "TO", "CC", "BCC", "REQUIRED_ATTENDEE", "OPTIONAL_ATTENDEE", "ORGANIZER")

# The state a new activity of each type starts in.
INITIAL_STATE = {"TASK": "OPEN", "PHONE_CALL": "OPEN", "EMAIL": "DRAFT", "APPOINTMENT": "SCHEDULED",
                 "TEXT_MESSAGE": "OPEN"}
OPEN_STATES = frozenset({"OPEN", "DRAFT", "PENDING_SEND", "SCHEDULED"})
COMPLETED_STATES = frozenset({"COMPLETED", "SENT", "RECEIVED"})
CLOSED_STATES = COMPLETED_STATES | {"CANCELED"}


def is_open(state: str) -> bool:
    return state in OPEN_STATES


def completed_state(activity_type: str) -> str:
    """The state "mark complete" moves an activity to: an email counts as SENT."""
    return "SENT" if activity_type == "EMAIL" else "COMPLETED"


def reopened_state(activity_type: str) -> str:
    return INITIAL_STATE[activity_type] if activity_type != "EMAIL" else "DRAFT"

"""Display names of record types (R-REC-3): defaults, overrides, and what a rename may hold.

Only the labels change; schema type names (Account, Contact, …) never do, so clients keep
working after an administrator calls accounts "companies".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import unusable_text

MAX_NAME = 100


@dataclass(frozen=True)
class RecordTypeNames:
    record_type: str
    schema_name: str
    singular: str
    plural: str
    default_singular: str
    default_plural: str


# record type -> (schema type name, default singular, default plural)
DEFAULTS: dict[str, tuple[str, str, str]] = {
    "ACCOUNT": ("Account", "Account", "Accounts"),
    "CONTACT": ("Contact", "Contact", "Contacts"),
    "LEAD": ("Lead", "Lead", "Leads"),
    "OPPORTUNITY": ("Opportunity", "Opportunity", "Opportunities"),
    "CASE": ("Case", "Case", "Cases"),
}


def check_names(record_type: str, singular: str, plural: str) -> tuple[str, str]:
    """Both names trimmed, non-empty, at most 100 characters; all problems at once."""
    if record_type not in DEFAULTS:
        raise DomainError(ErrorCode.VALIDATION, f"unknown record type {record_type}", ("input", "recordType"))
    problems: list[Problem] = []
    cleaned = []
    for name, value in (("singular", singular), ("plural", plural)):
        text = " ".join((value or "").split())
        if not text:
            problems.append(Problem(ErrorCode.VALIDATION, f"{name} is required", ("input", name)))
        elif (why := unusable_text(text, MAX_NAME)) is not None:
            problems.append(Problem(ErrorCode.VALIDATION, f"{name} {why}", ("input", name)))
        cleaned.append(text)
    if problems:
        raise DomainError(problems=problems)
    return cleaned[0], cleaned[1]


def renamed(stored: Mapping[str, Any], record_type: str, singular: str, plural: str) -> dict[str, Any]:
    """The stored overrides after a rename; going back to the defaults drops the override."""
    overrides = {k: v for k, v in stored.items() if k != record_type}
    _, default_singular, default_plural = DEFAULTS[record_type]
    if (singular, plural) != (default_singular, default_plural):
        overrides[record_type] = {"singular": singular, "plural": plural}
    return overrides


def names_of(stored: Mapping[str, Any] | None) -> list[RecordTypeNames]:
    """Every record type with its current and default names, in a fixed order."""
    found = []
    for record_type, (schema_name, singular, plural) in DEFAULTS.items():
        override = (stored or {}).get(record_type) or {}
        found.append(RecordTypeNames(
            record_type=record_type, schema_name=schema_name,
            singular=override.get("singular") or singular, plural=override.get("plural") or plural,
            default_singular=singular, default_plural=plural,
        ))
    return found

"""Custom fields (R-QRY-2): what a definition may hold and what a value of each type is.

Pure functions. A value is stored in the record's `custom_fields` JSON object in the form
that sorts and compares right in SQL on both databases:
- TEXT, CHOICE: the text; LOOKUP: the record's UUID as text;
- NUMBER: a JSON integer (at most 2^53 in size, exact in every JSON reader);
- DECIMAL: a JSON number of at most 15 significant digits (exact as a double);
- DATE: `YYYY-MM-DD`; DATETIME: UTC `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (both sort as text);
- BOOLEAN: true/false; MULTI_CHOICE: a list of choices, in the definition's order.
An empty value (null, "", []) is no value: the key is removed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import unusable_text

TYPES = ("TEXT", "NUMBER", "DECIMAL", "DATE", "DATETIME", "BOOLEAN", "CHOICE", "MULTI_CHOICE", "LOOKUP")
# Record types whose create/update inputs and imports carry custom values today.
RECORD_TYPES = ("ACCOUNT", "CONTACT")
LOOKUP_TYPES = ("ACCOUNT", "CONTACT", "LEAD", "OPPORTUNITY", "CASE")
NAME = re.compile(r"^[a-z][A-Za-z0-9]{0,39}$")  # camelCase, as the API spells fields
MAX_LABEL = 100
MAX_CHOICE = 100
MAX_CHOICES = 200
MAX_TEXT = 2000
# Each live field is one index on records: every write of a record maintains all of them.
MAX_FIELDS_PER_TYPE = 50
MAX_NUMBER = 2**53
MAX_DECIMAL_DIGITS = 15
# The member of `CustomFieldInput` that carries each type's value.
MEMBER = {"TEXT": "text", "NUMBER": "number", "DECIMAL": "decimal", "DATE": "date", "DATETIME": "date_time",
          "BOOLEAN": "boolean", "CHOICE": "choice", "MULTI_CHOICE": "choices", "LOOKUP": "record_id"}
YES = frozenset({"true", "yes", "y", "1", "x"})
NO = frozenset({"false", "no", "n", "0"})


@dataclass(frozen=True)
class FieldDefinition:
    """A definition as the rules see it (the row's columns, nothing else)."""

    name: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    lookup_type: str | None = None
    record_type: str = "ACCOUNT"
    retired: bool = False

    @property
    def sortable(self) -> bool:
        return self.type != "MULTI_CHOICE"


@dataclass(frozen=True)
class GivenValue:
    """One `customFields` input item: the field's name and the members that were given."""

    name: str
    members: Mapping[str, Any]
    path: tuple[str, ...]


@dataclass(frozen=True)
class CheckedValues:
    """Values ready to store (None: remove the key) and the lookups still to be checked."""

    values: dict[str, Any]
    lookups: list[tuple[FieldDefinition, uuid.UUID, tuple[str, ...]]]


def _problem(path: Sequence[str], message: str) -> Problem:
    return Problem(ErrorCode.VALIDATION, message, tuple(path))


def check_label(label: str, path: Sequence[str]) -> tuple[str, Problem | None]:
    label = label.strip()
    if not label:
        return label, _problem(path, "label is required")
    why = unusable_text(label, MAX_LABEL)
    return label, (_problem(path, f"label {why}") if why else None)


def check_choices(choices: Sequence[str] | None, field_type: str,
                  path: Sequence[str]) -> tuple[tuple[str, ...], list[Problem]]:
    """Choices are required for (only for) CHOICE and MULTI_CHOICE: trimmed, unique, usable."""
    wants = field_type in ("CHOICE", "MULTI_CHOICE")
    given = [c.strip() for c in choices or ()]
    if not wants:
        return (), ([_problem(path, f"a {field_type.lower()} field has no choices")] if given else [])
    problems: list[Problem] = []
    if not given:
        problems.append(_problem(path, "a choice field needs at least one choice"))
    if len(given) > MAX_CHOICES:
        problems.append(_problem(path, f"at most {MAX_CHOICES} choices"))
    for index, choice in enumerate(given):
        why = "is empty" if not choice else unusable_text(choice, MAX_CHOICE)
        if why:
            problems.append(_problem((*path, str(index)), f"choice {index + 1} {why}"))
    seen = {c.casefold() for c in given}
    if len(seen) != len(given):
        problems.append(_problem(path, "choices must differ (case is ignored)"))
    return tuple(given), problems


def check_definition(record_type: str, name: str, label: str, field_type: str, choices: Sequence[str] | None,
                     lookup_type: str | None, existing: Sequence[FieldDefinition]) -> FieldDefinition:
    """A new field of `record_type`, given the type's fields so far (retired ones too)."""
    problems: list[Problem] = []
    if record_type not in RECORD_TYPES:
        problems.append(_problem(("input", "recordType"),
                                 f"custom fields are for {' and '.join(t.lower() + 's' for t in RECORD_TYPES)} so far"))
    if not NAME.match(name):
        problems.append(_problem(("input", "name"), "name must start with a lower-case letter and hold only "
                                                    "letters and digits (at most 40)"))
    elif any(d.name.casefold() == name.casefold() for d in existing):
        problems.append(_problem(("input", "name"),
                                 f"a field named '{name}' exists already (retired names stay taken)"))
    label, label_problem = check_label(label, ("input", "label"))
    if label_problem:
        problems.append(label_problem)
    elif any(not d.retired and d.label.casefold() == label.casefold() for d in existing):
        problems.append(_problem(("input", "label"), f"another field is labelled '{label}'"))
    if field_type not in TYPES:
        problems.append(_problem(("input", "type"), f"type must be one of {', '.join(TYPES)}"))
    cleaned_choices, choice_problems = check_choices(choices, field_type, ("input", "choices"))
    problems.extend(choice_problems)
    if field_type == "LOOKUP" and lookup_type not in LOOKUP_TYPES:
        problems.append(_problem(("input", "lookupType"), "a lookup field names the record type it points at"))
    if field_type != "LOOKUP" and lookup_type is not None:
        problems.append(_problem(("input", "lookupType"), "only a lookup field has a lookupType"))
    if sum(not d.retired for d in existing) >= MAX_FIELDS_PER_TYPE:
        problems.append(_problem(("input", "recordType"), f"a record type has at most {MAX_FIELDS_PER_TYPE} fields"))
    if problems:
        raise DomainError(problems=problems)
    return FieldDefinition(name, label, field_type, False, cleaned_choices, lookup_type, record_type)


def check_values(definitions: Sequence[FieldDefinition], given: Sequence[GivenValue], *,
                 creating: bool) -> CheckedValues:
    """The inputs' values in stored form, per the live definitions; every problem at once.

    Creating, each required field needs a value; updating, a required field cannot be
    cleared (a record written before the field was required keeps working until then).
    """
    live = {d.name: d for d in definitions if not d.retired}
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    lookups: list[tuple[FieldDefinition, uuid.UUID, tuple[str, ...]]] = []
    named = {item.name for item in given}
    for item in given:
        definition = live.get(item.name)
        if definition is None:
            problems.append(_problem((*item.path, "name"), f"there is no field '{item.name}'"))
            continue
        if item.name in values:
            problems.append(_problem((*item.path, "name"), f"{item.name} is given twice"))
            continue
        wanted = MEMBER[definition.type]
        others = sorted(m for m in item.members if m != wanted)
        if others:
            problems.append(_problem((*item.path, _api(others[0])),
                                     f"{item.name} is a {_kind(definition)} field: give its value as {_api(wanted)}"))
            continue
        try:
            value = stored_value(definition, item.members.get(wanted))
        except ValueError as why:
            problems.append(_problem((*item.path, _api(wanted)), f"{item.name} {why}"))
            continue
        if value is None and definition.required:
            problems.append(_problem((*item.path, _api(wanted)), f"{item.name} is required"))
            continue
        values[item.name] = value
        if definition.type == "LOOKUP" and value is not None:
            lookups.append((definition, uuid.UUID(value), (*item.path, _api(wanted))))
    if creating:
        for definition in live.values():
            if definition.required and definition.name not in named:
                problems.append(_problem(("input", "customFields"), f"{definition.name} is required"))
    if problems:
        raise DomainError(problems=problems)
    return CheckedValues(values, lookups)


def _api(member: str) -> str:
    head, *rest = member.split("_")
    return head + "".join(p.title() for p in rest)


def _kind(definition: FieldDefinition) -> str:
    return definition.type.lower().replace("_", "-")


def stored_value(definition: FieldDefinition, value: Any) -> Any:
    """The value as stored, None for "no value"; ValueError saying what is wrong (after the name)."""
    if value is None:
        return None
    kind = definition.type
    if kind in ("TEXT", "CHOICE"):
        text = str(value).strip()
        if not text:
            return None
        why = unusable_text(text, MAX_TEXT if kind == "TEXT" else MAX_CHOICE)
        if why:
            raise ValueError(why)
        return _choice(definition, text) if kind == "CHOICE" else text
    if kind == "NUMBER":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_NUMBER:
            raise ValueError("must be a whole number of at most 2^53 in size")
        return value
    if kind == "DECIMAL":
        return _decimal(value)
    if kind == "DATE":
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError("must be a date")
        return value.isoformat()
    if kind == "DATETIME":
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("must be a date and time with its offset")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if kind == "BOOLEAN":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind == "MULTI_CHOICE":
        chosen = {_choice(definition, str(v).strip()) for v in value if str(v).strip()}
        return [c for c in definition.choices if c in chosen] or None
    if kind == "LOOKUP":
        if not isinstance(value, uuid.UUID):
            raise ValueError("must name a record")
        return str(value)
    raise ValueError(f"has an unknown type {kind}")


def _choice(definition: FieldDefinition, text: str) -> str:
    """The choice as the definition spells it (case is ignored), else ValueError."""
    for choice in definition.choices:
        if choice.casefold() == text.casefold():
            return choice
    shown = text if len(text) <= 40 else text[:40] + "…"
    raise ValueError(f"has no choice '{shown}'; choices: {', '.join(definition.choices)}")


def _decimal(value: Any) -> float:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError("must be a decimal number") from None
    if isinstance(value, bool) or not number.is_finite():
        raise ValueError("must be a decimal number")
    if len(number.normalize().as_tuple().digits) > MAX_DECIMAL_DIGITS:
        raise ValueError(f"has more than {MAX_DECIMAL_DIGITS} significant digits")
    return float(number)


def parse_text(definition: FieldDefinition, text: str) -> Any:
    """A value written as text (an import cell, a filter value) in the type's input form.

    Multi-choice text separates choices with `;`. A lookup's text is a record id (the caller
    reads global ids first). ValueError says what is wrong, after the field's name.
    """
    text = text.strip()
    if not text:
        return None
    kind = definition.type
    try:
        if kind == "NUMBER":
            return int(text.replace(",", "").replace("_", ""))
        if kind == "DECIMAL":
            return Decimal(text.replace(",", ""))
        if kind == "DATE":
            return date.fromisoformat(text)
        if kind == "DATETIME":
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if kind == "LOOKUP":
            return uuid.UUID(text)
    except (ValueError, InvalidOperation):
        raise ValueError(f"'{text[:40]}' is not a {_kind(definition)}") from None
    if kind == "BOOLEAN":
        folded = text.casefold()
        if folded in YES or folded in NO:
            return folded in YES
        raise ValueError(f"must be yes or no (true/false, 1/0), not '{text[:40]}'")
    if kind == "MULTI_CHOICE":
        return [part for part in text.split(";") if part.strip()]
    return text


def read_value(definition: FieldDefinition, stored: Any) -> Any:
    """A stored value in its Python type (what the API shows)."""
    if stored is None:
        return None
    kind = definition.type
    if kind == "DECIMAL":
        return Decimal(str(stored))
    if kind == "DATE":
        return date.fromisoformat(stored)
    if kind == "DATETIME":
        return datetime.fromisoformat(stored)
    if kind == "LOOKUP":
        return uuid.UUID(stored)
    if kind == "MULTI_CHOICE":
        return list(stored)
    return stored


def merged(current: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record's new JSON object: a new dict (the column notices assignment only)."""
    result = {k: v for k, v in (current or {}).items() if k not in changes}
    result.update({k: v for k, v in changes.items() if v is not None})
    return result or None

"""Custom field rules (R-QRY-2): definitions, and each type's values in and out of storage."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from graph.rules.custom_fields import (
    FieldDefinition,
    GivenValue,
    check_definition,
    check_values,
    merged,
    parse_text,
    read_value,
    stored_value,
)
from graph.rules.errors import DomainError

TIER = FieldDefinition("tier", "Tier", "CHOICE", choices=("Gold", "Silver"))
TAGS = FieldDefinition("tags", "Tags", "MULTI_CHOICE", choices=("a", "b", "c"))
TARGET = uuid.UUID(int=7)


def problems(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[tuple[str, ...] | None, str]]:
    return [(tuple(p.field) if p.field else None, p.message) for p in error.value.problems]


@pytest.mark.parametrize(("definition", "given", "stored", "shown"), [
    (FieldDefinition("a", "A", "TEXT"), "  hello ", "hello", "hello"),
    (FieldDefinition("a", "A", "NUMBER"), 42, 42, 42),
    (FieldDefinition("a", "A", "DECIMAL"), Decimal("12.50"), 12.5, Decimal("12.5")),
    (FieldDefinition("a", "A", "DATE"), date(2027, 3, 1), "2027-03-01", date(2027, 3, 1)),
    (FieldDefinition("a", "A", "DATETIME"), datetime(2027, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
     "2027-03-01T07:30:00.000000+00:00", datetime(2027, 3, 1, 7, 30, tzinfo=UTC)),
    (FieldDefinition("a", "A", "BOOLEAN"), False, False, False),
    (TIER, "gold", "Gold", "Gold"),
    (TAGS, ["c", "A", "c"], ["a", "c"], ["a", "c"]),
    (FieldDefinition("a", "A", "LOOKUP", lookup_type="CONTACT"), TARGET, str(TARGET), TARGET),
])
def test_each_type_is_stored_in_a_form_that_sorts_and_reads_back(definition: FieldDefinition, given: Any,
                                                                  stored: Any, shown: Any) -> None:
    assert stored_value(definition, given) == stored
    assert read_value(definition, stored) == shown


@pytest.mark.parametrize(("definition", "given", "why"), [
    (FieldDefinition("a", "A", "TEXT"), "x" * 2001, "is longer than 2000 characters"),
    (FieldDefinition("a", "A", "TEXT"), "nul\x00", "contains a NUL character"),
    (FieldDefinition("a", "A", "NUMBER"), 2**53 + 1, "must be a whole number of at most 2^53 in size"),
    (FieldDefinition("a", "A", "NUMBER"), True, "must be a whole number of at most 2^53 in size"),
    (FieldDefinition("a", "A", "DECIMAL"), Decimal("1234567890.1234567"), "has more than 15 significant digits"),
    (FieldDefinition("a", "A", "DECIMAL"), Decimal("NaN"), "must be a decimal number"),
    (FieldDefinition("a", "A", "DATETIME"), datetime(2027, 3, 1), "must be a date and time with its offset"),
    (FieldDefinition("a", "A", "BOOLEAN"), "yes", "must be true or false"),
    (TIER, "Platinum", "has no choice 'Platinum'; choices: Gold, Silver"),
    (TAGS, ["a", "z"], "has no choice 'z'; choices: a, b, c"),
])
def test_values_not_of_the_type_are_refused_saying_why(definition: FieldDefinition, given: Any, why: str) -> None:
    with pytest.raises(ValueError, match="^" + why.replace("^", r"\^").replace("(", r"\(")):
        stored_value(definition, given)


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_an_empty_value_is_no_value(empty: Any) -> None:
    definition = TAGS if isinstance(empty, list) else FieldDefinition("a", "A", "TEXT")
    assert stored_value(definition, empty) is None


@pytest.mark.parametrize(("definition", "text", "value"), [
    (FieldDefinition("a", "A", "NUMBER"), "1,200", 1200),
    (FieldDefinition("a", "A", "DECIMAL"), "3.25", Decimal("3.25")),
    (FieldDefinition("a", "A", "DATE"), "2027-01-15", date(2027, 1, 15)),
    (FieldDefinition("a", "A", "DATETIME"), "2027-01-15T10:00:00", datetime(2027, 1, 15, 10, tzinfo=UTC)),
    (FieldDefinition("a", "A", "BOOLEAN"), "Yes", True),
    (FieldDefinition("a", "A", "BOOLEAN"), "0", False),
    (TAGS, "a; c", ["a", " c"]),
    (FieldDefinition("a", "A", "LOOKUP"), str(TARGET), TARGET),
    (FieldDefinition("a", "A", "TEXT"), "", None),
])
def test_text_from_a_file_or_a_filter_is_read_per_type(definition: FieldDefinition, text: str, value: Any) -> None:
    assert parse_text(definition, text) == value


@pytest.mark.parametrize(("definition", "text"), [
    (FieldDefinition("a", "A", "NUMBER"), "many"), (FieldDefinition("a", "A", "DATE"), "01/15/2027"),
    (FieldDefinition("a", "A", "BOOLEAN"), "maybe"), (FieldDefinition("a", "A", "LOOKUP"), "Acme"),
])
def test_text_that_is_not_of_the_type_is_refused(definition: FieldDefinition, text: str) -> None:
    with pytest.raises(ValueError):
        parse_text(definition, text)


def test_a_definition_is_checked_whole() -> None:
    existing = [FieldDefinition("tier", "Tier", "TEXT", retired=True), FieldDefinition("size", "Size", "NUMBER")]
    with pytest.raises(DomainError) as error:
        check_definition("LEAD", "tier", "size", "CHOICE", ["x", "X", ""], "CONTACT", existing)
    assert [f for f, _ in problems(error)] == [
        ("input", "recordType"), ("input", "name"), ("input", "label"), ("input", "choices", "2"),
        ("input", "choices"), ("input", "lookupType")]
    checked = check_definition("ACCOUNT", "owner2", " Second owner ", "LOOKUP", None, "CONTACT", existing)
    assert (checked.label, checked.lookup_type, checked.sortable) == ("Second owner", "CONTACT", True)
    assert not check_definition("ACCOUNT", "tags", "Tags", "MULTI_CHOICE", ["a"], None, existing).sortable


def test_values_are_checked_against_the_live_definitions() -> None:
    definitions = [FieldDefinition("tier", "Tier", "CHOICE", required=True, choices=("Gold",)),
                   FieldDefinition("old", "Old", "TEXT", retired=True), FieldDefinition("n", "N", "NUMBER")]
    given = [GivenValue("n", {"text": "1"}, ("input", "customFields", "0")),
             GivenValue("old", {"text": "x"}, ("input", "customFields", "1"))]
    with pytest.raises(DomainError) as error:
        check_values(definitions, given, creating=True)
    assert problems(error) == [
        (("input", "customFields", "0", "text"), "n is a number field: give its value as number"),
        (("input", "customFields", "1", "name"), "there is no field 'old'"),
        (("input", "customFields"), "tier is required")]
    # Updating, a required field may be left alone but not cleared.
    assert check_values(definitions, [GivenValue("n", {"number": 3}, ())], creating=False).values == {"n": 3}
    with pytest.raises(DomainError):
        check_values(definitions, [GivenValue("tier", {}, ())], creating=False)


def test_merged_values_are_a_new_object_without_empty_keys() -> None:
    current = {"a": 1, "b": "x"}
    result = merged(current, {"a": None, "c": True})
    assert result == {"b": "x", "c": True} and result is not current
    assert merged({"a": 1}, {"a": None}) is None

"""One row of a file → the values of a new record, or the reasons it cannot be one.

The field rules are those of `createAccount`/`createContact` (`graph/rules/records.py`
`check_fields`: required fields, lengths, email and phone shapes, NUL characters …); each
problem is reported against the column its value came from. Pure: looking up the account
a row names and finding duplicates need the database (`graph/commands/imports.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph.imports.mapping import CUSTOM_PREFIX, FLAG_FIELDS, LINK_FIELDS, ColumnMapping, custom_fields_of, fields_of
from graph.imports.result import RowProblem
from graph.imports.tables import RawRow
from graph.rules import custom_fields as custom_rules
from graph.rules import records as record_rules
from graph.rules.errors import DomainError, ErrorCode

YES = frozenset({"true", "yes", "y", "1", "x"})
NO = frozenset({"false", "no", "n", "0", ""})
MAX_REFERENCE_LENGTH = 400
# Reads a global id ("Type", uuid); the API's format is not graph's business, so the caller gives it.
IdParser = Callable[[str], tuple[str, uuid.UUID] | None]


@dataclass
class Candidate:
    """A row whose own values are good; its link and email are checked against the database next."""

    row: int
    values: dict[str, Any]
    link: str | None = None  # the account (or parent account) as written: a name or an id
    link_column: str | None = None
    email_key: str | None = None  # the email, lower-cased, for duplicate detection
    email_column: str | None = None
    custom: dict[str, Any] | None = None  # custom field values as stored (R-QRY-2), None if none


class RowChecker:
    """Checks rows against one column mapping (worked out once, used for every row)."""

    def __init__(self, mapping: ColumnMapping) -> None:
        self.record_type = mapping.record_type
        fields = {**custom_fields_of(mapping.custom), **fields_of(self.record_type)}
        definitions = {d.name: d for d in mapping.custom}
        self.custom: list[tuple[str, custom_rules.FieldDefinition]] = []  # (column, definition)
        link_field, _ = LINK_FIELDS[self.record_type]
        flags = set(FLAG_FIELDS[self.record_type])
        self.text: list[tuple[str, str]] = []  # (column, storage name)
        self.flags: list[tuple[str, str, str]] = []  # (column, field, storage name)
        self.link: tuple[str, str] | None = None  # (column, field)
        self.email_column: str | None = None
        for column, field in mapping.mapped:
            storage = fields[field]
            if storage.startswith(CUSTOM_PREFIX):
                self.custom.append((column, definitions[field]))
            elif field == link_field:
                self.link = (column, field)
            elif storage in flags:
                self.flags.append((column, field, storage))
            else:
                self.text.append((column, storage))
            if storage == "email":
                self.email_column = column
        # Where check_fields reports a field (its input path) → the column and field it came from.
        self.origin = {_input_path(self.record_type, fields[field]): (column, field)
                       for column, field in mapping.mapped}

    def check(self, raw: RawRow) -> Candidate | list[RowProblem]:
        problems = [RowProblem(raw.number, ErrorCode.VALIDATION, message, column)
                    for column, message in raw.problems]
        values: dict[str, Any] = {storage: raw.cells.get(column, "") for column, storage in self.text}
        try:
            cleaned = record_rules.check_fields(self.record_type, values, creating=True)
        except DomainError as error:
            cleaned = {}
            for p in error.problems:
                column, field = self.origin.get(p.field or (), (None, None))
                problems.append(RowProblem(raw.number, p.code, p.message, column, field))
        for column, field, storage in self.flags:
            text = raw.cells.get(column, "").strip().casefold()
            if text in YES or text in NO:
                cleaned[storage] = text in YES
            else:
                problems.append(RowProblem(raw.number, ErrorCode.VALIDATION,
                                           f"{field} must be yes or no (true/false, 1/0), not '{text[:40]}'",
                                           column, field))
        link = self._link(raw, problems)
        custom = self._custom(raw, problems)
        if problems:
            return problems
        email = cleaned.get("email")
        return Candidate(raw.number, cleaned, link, self.link[0] if self.link else None,
                         email.lower() if email else None, self.email_column, custom or None)

    def _custom(self, raw: RawRow, problems: list[RowProblem]) -> dict[str, Any]:
        """The row's custom values as stored, each cell read per its field's type."""
        values: dict[str, Any] = {}
        for column, definition in self.custom:
            try:
                text = raw.cells.get(column, "")
                value = custom_rules.stored_value(definition, custom_rules.parse_text(definition, text))
            except ValueError as why:
                problems.append(RowProblem(raw.number, ErrorCode.VALIDATION, f"{definition.name} {why}", column,
                                           definition.name))
                continue
            if value is None and definition.required:
                problems.append(RowProblem(raw.number, ErrorCode.VALIDATION, f"{definition.name} is required", column,
                                           definition.name))
            elif value is not None:
                values[definition.name] = value
        return values

    def _link(self, raw: RawRow, problems: list[RowProblem]) -> str | None:
        if self.link is None:
            return None
        column, field = self.link
        text = raw.cells.get(column, "").strip()
        why = record_rules.unusable_text(text, MAX_REFERENCE_LENGTH)
        if why is not None:
            problems.append(RowProblem(raw.number, ErrorCode.VALIDATION, f"{field} {why}", column, field))
            return None
        return text or None


def _input_path(record_type: str, storage: str) -> tuple[str, ...]:
    """The input path `check_fields` gives a problem with this field (see its `_path`)."""
    if storage in record_rules.ADDRESS_INPUT_PATHS:
        return ("input", *record_rules.ADDRESS_INPUT_PATHS[storage])
    return ("input", record_rules.input_name(record_type, storage))


@dataclass(frozen=True)
class Reference:
    """What a link cell names: an account id, an account name, or the id of something else."""

    id: uuid.UUID | None = None
    name: str | None = None
    wrong_type: str | None = None


def parse_reference(text: str, parse_id: IdParser | None) -> Reference:
    """A raw UUID or a global id of an Account is an id; a global id of another type is
    refused; anything else is a name."""
    if len(text) == 36:
        try:
            return Reference(id=uuid.UUID(text))
        except ValueError:
            pass
    parsed = parse_id(text) if parse_id is not None else None
    if parsed is not None:
        type_name, raw = parsed
        return Reference(id=raw) if type_name == "Account" else Reference(wrong_type=type_name)
    return Reference(name=text)

"""Custom fields (R-QRY-2) as clients see them: definitions, and one typed value type per
field type behind the `CustomFieldValue` interface.

The schema does not change when an administrator adds a field: `schema.graphql` stays the
exact API, `customFieldDefinitions` says which fields exist, and each value comes with its
own type (docs/custom-fields.md says why this and not a schema per organisation).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from graph.models import CustomFieldDefinition as DefinitionRow
from graph.rules.custom_fields import FieldDefinition, read_value
from resolvers.context import Info, now_or_later
from resolvers.ids import to_global_id
from schema.types.metadata import RecordType
from schema.types.records import GRAPHQL_NAMES, Record


@strawberry.enum(description="What a custom field holds.")
class CustomFieldType(Enum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DECIMAL = "DECIMAL"
    DATE = "DATE"
    DATETIME = "DATETIME"
    BOOLEAN = "BOOLEAN"
    CHOICE = "CHOICE"
    MULTI_CHOICE = "MULTI_CHOICE"
    LOOKUP = "LOOKUP"


@strawberry.type(description="A field an administrator added to a record type (R-QRY-2).")
class CustomFieldDefinition:
    id: strawberry.ID
    record_type: RecordType
    name: str = strawberry.field(description="Its key in `customField(name:)`, inputs and filters; never changes.")
    label: str = strawberry.field(description="What people see; import columns are matched to it.")
    type: CustomFieldType
    required: bool
    choices: list[str] = strawberry.field(description="CHOICE and MULTI_CHOICE: the values it may take.")
    lookup_type: RecordType | None = strawberry.field(description="LOOKUP: the type of record it points at.")
    retired: bool = strawberry.field(description="Retired fields are hidden everywhere; their names stay taken.")
    sortable: bool = strawberry.field(description="Can `orderBy` use it (all types but MULTI_CHOICE).")
    version: int
    created_on: datetime

    @classmethod
    def from_row(cls, row: DefinitionRow) -> CustomFieldDefinition:
        return cls(
            id=strawberry.ID(to_global_id("CustomFieldDefinition", row.id)), record_type=RecordType(row.record_type),
            name=row.name, label=row.label, type=CustomFieldType(row.type), required=row.required,
            choices=list(row.choices or ()), lookup_type=RecordType(row.lookup_type) if row.lookup_type else None,
            retired=row.retired, sortable=row.type != "MULTI_CHOICE", version=row.version, created_on=row.created_on,
        )


@strawberry.interface(description="The value of one custom field on a record; the concrete type carries it typed.")
class CustomFieldValue:
    name: str
    label: str
    type: CustomFieldType


@strawberry.type
class TextFieldValue(CustomFieldValue):
    text: str


@strawberry.type
class NumberFieldValue(CustomFieldValue):
    number: int = strawberry.field(description="A whole number (at most 2^53 in size).")


@strawberry.type
class DecimalFieldValue(CustomFieldValue):
    decimal: Decimal = strawberry.field(description="At most 15 significant digits.")


@strawberry.type
class DateFieldValue(CustomFieldValue):
    date: date


@strawberry.type
class DateTimeFieldValue(CustomFieldValue):
    date_time: datetime


@strawberry.type
class BooleanFieldValue(CustomFieldValue):
    boolean: bool


@strawberry.type
class ChoiceFieldValue(CustomFieldValue):
    choice: str


@strawberry.type
class MultiChoiceFieldValue(CustomFieldValue):
    choices: list[str]


@strawberry.type
class LookupFieldValue(CustomFieldValue):
    record_id: strawberry.ID = strawberry.field(description="The record's id (also when you may not read it).")
    raw_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The record, when you may read it.")
    def record(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.raw_id)


VALUE_TYPES = (TextFieldValue, NumberFieldValue, DecimalFieldValue, DateFieldValue, DateTimeFieldValue,
               BooleanFieldValue, ChoiceFieldValue, MultiChoiceFieldValue, LookupFieldValue)
CUSTOM_FIELD_TYPES = [CustomFieldDefinition, *VALUE_TYPES]
MEMBERS: dict[str, tuple[type[Any], str]] = {
    "TEXT": (TextFieldValue, "text"), "NUMBER": (NumberFieldValue, "number"),
    "DECIMAL": (DecimalFieldValue, "decimal"), "DATE": (DateFieldValue, "date"),
    "DATETIME": (DateTimeFieldValue, "date_time"), "BOOLEAN": (BooleanFieldValue, "boolean"),
    "CHOICE": (ChoiceFieldValue, "choice"), "MULTI_CHOICE": (MultiChoiceFieldValue, "choices"),
}


def field_value(definition: FieldDefinition, stored: Any) -> Any:
    """The typed value object for a stored value (None when the record has no value)."""
    value = read_value(definition, stored)
    if value is None:
        return None
    common = {"name": definition.name, "label": definition.label, "type": CustomFieldType(definition.type)}
    if definition.type == "LOOKUP":
        type_name = GRAPHQL_NAMES.get(definition.lookup_type or "", "Record")
        return LookupFieldValue(**common, record_id=strawberry.ID(to_global_id(type_name, value)), raw_id=value)
    cls, member = MEMBERS[definition.type]
    return cls(**common, **{member: value})


def field_values(definitions: list[FieldDefinition], stored: Mapping[str, Any] | None) -> list[Any]:
    """Every live field with a value, in the definitions' order."""
    found = stored or {}
    values = (field_value(d, found.get(d.name)) for d in definitions if not d.retired)
    return [v for v in values if v is not None]

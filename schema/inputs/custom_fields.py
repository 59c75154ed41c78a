"""Inputs of custom fields (R-QRY-2): definitions, values on records, conditions and order."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from schema.types.custom_fields import CustomFieldType
from schema.types.metadata import RecordType


@strawberry.input(description="Administrators only: a new field on a record type (accounts and contacts so far).")
class DefineCustomFieldInput:
    record_type: RecordType
    name: str = strawberry.field(description="camelCase key, e.g. `tier`; never changes, and stays taken once retired.")
    label: str
    type: CustomFieldType
    required: bool = False
    choices: list[str] | None = strawberry.field(default=None, description="CHOICE and MULTI_CHOICE only.")
    lookup_type: RecordType | None = strawberry.field(default=None, description="LOOKUP only.")


@strawberry.input(description="Administrators only: only what is given changes; name and type never do.")
class UpdateCustomFieldInput:
    id: strawberry.ID
    expected_version: int | None = None
    label: str | None = None
    choices: list[str] | None = strawberry.field(
        default=None, description="The whole new list; records keep values no longer listed.")
    required: bool | None = strawberry.field(
        default=None, description="Required fields need a value on create, and cannot be cleared.")


@strawberry.input(description="Administrators only: hide a field and its values everywhere; its index is dropped.")
class RetireCustomFieldInput:
    id: strawberry.ID


@strawberry.input(description="One custom field's new value: give the member of the field's type "
                               "(`text` for TEXT, `choices` for MULTI_CHOICE, …); none of them clears it.")
class CustomFieldInput:
    name: str
    text: str | None = None
    number: int | None = None
    decimal: Decimal | None = None
    date: date | None = None
    date_time: datetime | None = None
    boolean: bool | None = None
    choice: str | None = None
    choices: list[str] | None = None
    record_id: strawberry.ID | None = strawberry.field(default=None, description="LOOKUP: the record's id.")


@strawberry.enum(description="How a custom-field condition compares.")
class CustomFieldOperator(Enum):
    EQ = "EQ"
    NE = "NE"
    LT = "LT"
    LTE = "LTE"
    GT = "GT"
    GTE = "GTE"
    IN = "IN"
    NOT_IN = "NOT_IN"
    CONTAINS = "CONTAINS"
    STARTS_WITH = "STARTS_WITH"
    IS_NULL = "IS_NULL"


@strawberry.input(description="A condition on a custom field. Values are written as text and read per the "
                               "field's type (`42`, `12.5`, `2026-03-01`, `true`, a choice, a record id): "
                               "`value` for one, `values` for IN and NOT_IN; IS_NULL takes `value` true or false "
                               "(default true). On MULTI_CHOICE, EQ and IN hold when any given choice is chosen.")
class CustomFieldCondition:
    name: str
    operator: CustomFieldOperator = CustomFieldOperator.EQ
    value: str | None = None
    values: list[str] | None = None

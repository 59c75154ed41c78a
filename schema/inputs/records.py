"""Inputs of the account and contact operations."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.inputs.common import AddressInput, OrderDirection
from schema.inputs.custom_fields import CustomFieldCondition, CustomFieldInput


@strawberry.enum(description="The alternate key a create mutation or an import finds an existing record by "
                             "(R-QRY-5): a match is updated instead of created.")
class UpsertKey(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="Contacts and leads: the same email, ignoring case.")
    NAME_AND_PARENT = strawberry.enum_value(
        "NAME_AND_PARENT", description="Accounts: the same name ignoring case and punctuation, under the same parent.")
    EXTERNAL_ID = strawberry.enum_value("EXTERNAL_ID", description="Any record type: the same externalId.")


UPSERT_HELP = ("Update the record this key finds instead of creating one (the payload's `created` is then false); "
               "null values leave its fields as they are.")


@strawberry.enum
class RecordOrderField(Enum):
    NAME = "NAME"
    CREATED_ON = "CREATED_ON"
    MODIFIED_ON = "MODIFIED_ON"
    CUSTOM_FIELD = "CUSTOM_FIELD"


@strawberry.input
class RecordOrder:
    field: RecordOrderField
    direction: OrderDirection = OrderDirection.ASC
    custom_field: str | None = strawberry.field(
        default=None, description="With `field: CUSTOM_FIELD`: the custom field's name; records without a value "
                                  "come last ascending, first descending.")


@strawberry.input(description="Narrow a list of accounts; every given condition must hold.")
class AccountFilter:
    text: str | None = strawberry.field(default=None, description="Part of the name or email.")
    owner_ids: list[strawberry.ID] | None = None
    industry: str | None = None
    city: str | None = None
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(
        default=None, description="Conditions on custom fields (R-QRY-2); all must hold.")


@strawberry.input(description="Narrow a list of contacts; every given condition must hold.")
class ContactFilter:
    text: str | None = strawberry.field(default=None, description="Part of the name or email.")
    owner_ids: list[strawberry.ID] | None = None
    account_id: strawberry.ID | None = None
    email: str | None = None
    city: str | None = None
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(
        default=None, description="Conditions on custom fields (R-QRY-2); all must hold.")


@strawberry.input
class CreateAccountInput:
    name: str
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    industry: str | None = None
    address: AddressInput | None = None
    parent_account_id: strawberry.ID | None = None
    primary_contact_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Default: you.")
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Repeat a create safely: the same value returns the first result (R-API-2)."
    )
    external_id: str | None = strawberry.field(
        default=None, description="This record's key in another system; unique per type (R-QRY-5).")
    upsert_by: UpsertKey | None = strawberry.field(default=None, description=UPSERT_HELP)
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=None, description="Custom field values (R-QRY-2); fields not named keep their values.")


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateAccountInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="Fail with CONFLICT if the account changed since you read it (R-API-1)."
    )
    name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    parent_account_id: strawberry.ID | None = strawberry.UNSET
    primary_contact_id: strawberry.ID | None = strawberry.UNSET
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=None, description="Custom field values (R-QRY-2); fields not named keep their values.")


@strawberry.input
class CreateContactInput:
    first_name: str
    last_name: str
    email: str | None = None
    business_phone: str | None = None
    mobile_phone: str | None = None
    job_title: str | None = None
    address: AddressInput | None = None
    account_id: strawberry.ID | None = None
    do_not_phone: bool = False
    do_not_email: bool = False
    do_not_text: bool = False
    owner_id: strawberry.ID | None = None
    client_mutation_id: str | None = None
    external_id: str | None = strawberry.field(
        default=None, description="This record's key in another system; unique per type (R-QRY-5).")
    upsert_by: UpsertKey | None = strawberry.field(default=None, description=UPSERT_HELP)
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=None, description="Custom field values (R-QRY-2); fields not named keep their values.")


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateContactInput:
    id: strawberry.ID
    expected_version: int | None = None
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    business_phone: str | None = strawberry.UNSET
    mobile_phone: str | None = strawberry.UNSET
    job_title: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    account_id: strawberry.ID | None = strawberry.UNSET
    do_not_phone: bool | None = strawberry.UNSET
    do_not_email: bool | None = strawberry.UNSET
    do_not_text: bool | None = strawberry.UNSET
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Save even when it looks like a duplicate of another record (R-QRY-3).")
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=None, description="Custom field values (R-QRY-2); fields not named keep their values.")


@strawberry.input
class AddContactsToAccountInput:
    account_id: strawberry.ID
    contact_ids: list[strawberry.ID]


@strawberry.input
class ChangeOwnerInput:
    id: strawberry.ID = strawberry.field(description="Any record.")
    owner_id: strawberry.ID = strawberry.field(description="A user or a team.")
    expected_version: int | None = None


@strawberry.input(description="Make a record read-only and hidden from default lists (R-REC-2).")
class DeactivateRecordInput:
    id: strawberry.ID = strawberry.field(description="An account or a contact.")
    expected_version: int | None = None


@strawberry.input(description="Make a deactivated record writable and listed again (R-REC-2).")
class ActivateRecordInput:
    id: strawberry.ID = strawberry.field(description="An account or a contact.")
    expected_version: int | None = None


RecordStateInput = DeactivateRecordInput | ActivateRecordInput

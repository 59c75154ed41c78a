"""Records (SPEC §2): the `Record` interface and one type per record type.

Objects are built from a row in one pass (plain attributes: the cheapest GraphQL
resolution); related objects come from loaders, already loaded when a page prefetched them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from graph import models
from resolvers.context import Info, now_or_later
from resolvers.ids import to_global_id
from schema.types.node import Node
from schema.types.principals import Principal, User

if TYPE_CHECKING:
    from schema.types.custom_fields import CustomFieldValue

# Custom field values name records (lookups), so their module imports this one: lazily here.
CustomFieldValueRef = Annotated["CustomFieldValue", strawberry.lazy("schema.types.custom_fields")]


@strawberry.type(description="A postal address.")
class Address:
    line: str | None
    city: str | None
    postal_code: str | None
    country: str | None


@strawberry.interface(description="A customer record: account, contact, lead, opportunity or case.")
class Record(Node):
    raw_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]
    created_by_id: strawberry.Private[uuid.UUID]
    modified_by_id: strawberry.Private[uuid.UUID]
    record_type: strawberry.Private[str]
    custom_values: strawberry.Private[dict[str, Any] | None]
    name: str = strawberry.field(description="Display name: account name, contact full name, topic or title.")
    state: str
    status_reason: str | None
    created_on: datetime
    modified_on: datetime
    version: int
    external_id: str | None = strawberry.field(description="Its key in another system, unique per type (R-QRY-5).")
    merged_into_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The record this one was merged into (it is INACTIVE since).")
    def merged_into(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.merged_into_id)

    @strawberry.field
    def owner(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.owner_id)

    @strawberry.field
    def created_by(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.created_by_id)

    @strawberry.field
    def modified_by(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.modified_by_id)

    @strawberry.field(description="The values of the type's custom fields that this record has (R-QRY-2), "
                                  "in the order the fields were defined; `customFieldDefinitions` lists the fields.")
    async def custom_fields(self, info: Info) -> list[CustomFieldValueRef]:
        from schema.types.custom_fields import field_values

        definitions = await info.context.loaders.custom_fields_by_type.load(self.record_type)
        return field_values(definitions, self.custom_values)

    @strawberry.field(description="One custom field's value by its name; null when the record has none "
                                  "or there is no such field.")
    async def custom_field(self, info: Info, name: str) -> CustomFieldValueRef | None:
        from schema.types.custom_fields import field_value

        definitions = await info.context.loaders.custom_fields_by_type.load(self.record_type)
        definition = next((d for d in definitions if d.name == name), None)
        return field_value(definition, (self.custom_values or {}).get(name)) if definition else None


def _common(row: models.Record, type_name: str) -> dict[str, Any]:
    return {
        "id": strawberry.ID(to_global_id(type_name, row.id)), "raw_id": row.id,
        "owner_id": row.owner_id, "created_by_id": row.created_by_id,
        "modified_by_id": row.modified_by_id, "record_type": row.type, "custom_values": row.custom_fields,
        "name": row.name, "state": row.state,
        "status_reason": row.status_reason, "created_on": row.created_on,
        "modified_on": row.modified_on, "version": row.version,
        "external_id": row.external_id, "merged_into_id": row.merged_into_id,
    }


def _address(row: models.Record) -> Address | None:
    if not any((row.address_line, row.city, row.postal_code, row.country)):
        return None
    return Address(line=row.address_line, city=row.city, postal_code=row.postal_code, country=row.country)


@strawberry.type(description="A company (R-ACC-1: only the name is required).")
class Account(Record):
    parent_account_id: strawberry.Private[uuid.UUID | None]
    primary_contact_id: strawberry.Private[uuid.UUID | None]
    phone: str | None
    email: str | None
    website: str | None
    industry: str | None
    address: Address | None

    @strawberry.field
    def parent_account(self, info: Info) -> Account | None:
        return now_or_later(info.context.loaders.record_by_id, self.parent_account_id)

    @strawberry.field
    def primary_contact(self, info: Info) -> Contact | None:
        return now_or_later(info.context.loaders.record_by_id, self.primary_contact_id)

    @classmethod
    def from_row(cls, row: models.Account) -> Account:
        return cls(
            **_common(row, "Account"), parent_account_id=row.parent_account_id,
            primary_contact_id=row.primary_contact_id, phone=row.phone, email=row.email,
            website=row.website, industry=row.industry, address=_address(row),
        )


@strawberry.type(description="A person (R-CON-1), belonging to at most one account (R-CON-2).")
class Contact(Record):
    account_id: strawberry.Private[uuid.UUID | None]
    first_name: str | None
    last_name: str | None
    email: str | None
    business_phone: str | None
    mobile_phone: str | None
    job_title: str | None
    address: Address | None
    do_not_phone: bool
    do_not_email: bool
    do_not_text: bool

    @strawberry.field
    def full_name(self) -> str:
        return self.name

    @strawberry.field
    def account(self, info: Info) -> Account | None:
        return now_or_later(info.context.loaders.record_by_id, self.account_id)

    @classmethod
    def from_row(cls, row: models.Contact) -> Contact:
        return cls(
            **_common(row, "Contact"), account_id=row.account_id, first_name=row.first_name,
            last_name=row.last_name, email=row.email, business_phone=row.phone,
            mobile_phone=row.mobile_phone, job_title=row.job_title, address=_address(row),
            do_not_phone=row.do_not_phone, do_not_email=row.do_not_email, do_not_text=row.do_not_text,
        )


RecordNode = Account | Contact

CONVERTERS: dict[str, Any] = {"ACCOUNT": Account.from_row, "CONTACT": Contact.from_row}
GRAPHQL_NAMES = {"ACCOUNT": "Account", "CONTACT": "Contact", "LEAD": "Lead",
                 "OPPORTUNITY": "Opportunity", "CASE": "Case"}


def record_node(row: models.Record) -> Any:
    """The GraphQL object for a record row of any type (None for a type not yet exposed)."""
    convert = CONVERTERS.get(row.type)
    return convert(row) if convert else None


def register_record_type(record_type: str, converter: Any) -> None:
    """Record types added later (leads, opportunities, cases) plug their converter in here."""
    CONVERTERS[record_type] = converter


__all__ = ["Account", "Address", "Contact", "Record", "RecordNode", "User", "record_node"]

"""Payloads of the account and contact mutations: the result, or `errors`."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.records import Account, Contact, Record


@strawberry.type
class AccountPayload:
    errors: list[UserError]
    account: Account | None = None
    created: bool | None = strawberry.field(
        default=None, description="True when a record was created, false when `upsertBy` found one and updated it.")


@strawberry.type
class ContactPayload:
    errors: list[UserError]
    contact: Contact | None = None
    created: bool | None = strawberry.field(
        default=None, description="True when a record was created, false when `upsertBy` found one and updated it.")


@strawberry.type
class AddContactsToAccountPayload:
    errors: list[UserError]
    account: Account | None = None
    contacts: list[Contact] | None = None


@strawberry.type
class RecordPayload:
    errors: list[UserError]
    record: Record | None = None

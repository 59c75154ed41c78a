"""A likely duplicate (R-QRY-3): the other record and the rules that matched."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.types.records import Record


@strawberry.enum(description="The built-in duplicate rules.")
class DuplicateRule(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="Contacts and leads: the same email, ignoring case.")
    PHONE = strawberry.enum_value("PHONE", description="Contacts and leads: the same phone digits, either number.")
    NAME_AND_PARENT = strawberry.enum_value(
        "NAME_AND_PARENT", description="Accounts: the same name ignoring case and punctuation, same parent.")


@strawberry.type(description="A record the duplicate rules match, and which rules (R-QRY-3).")
class DuplicateMatch:
    record: Record
    rules: list[DuplicateRule]

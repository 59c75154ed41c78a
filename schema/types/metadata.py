"""Record types' display names (R-REC-3): what clients label screens with."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph.rules.metadata import RecordTypeNames


@strawberry.enum(description="The five record types; their schema names never change.")
class RecordType(Enum):
    ACCOUNT = "ACCOUNT"
    CONTACT = "CONTACT"
    LEAD = "LEAD"
    OPPORTUNITY = "OPPORTUNITY"
    CASE = "CASE"


@strawberry.type(description="A record type's display names, as renamed by an administrator, and its defaults.")
class RecordTypeInfo:
    record_type: RecordType
    schema_name: str = strawberry.field(description="The GraphQL type name, e.g. `Account`.")
    singular: str
    plural: str
    default_singular: str
    default_plural: str

    @classmethod
    def from_names(cls, names: RecordTypeNames) -> RecordTypeInfo:
        return cls(
            record_type=RecordType(names.record_type), schema_name=names.schema_name,
            singular=names.singular, plural=names.plural,
            default_singular=names.default_singular, default_plural=names.default_plural,
        )

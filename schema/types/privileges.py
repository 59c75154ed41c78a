"""What a security role grants: record type × action × depth (R-SEC-1, R-ADM-5)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="What a privilege is about: a record type, activities or notes.")
class SecuredType(Enum):
    ACCOUNT = "account"
    CONTACT = "contact"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CASE = "case"
    ACTIVITY = "activity"
    NOTE = "note"


@strawberry.enum(description="What a privilege allows; APPEND_TO is adding activities and notes to the row.")
class PrivilegeAction(Enum):
    CREATE = "create"
    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    ASSIGN = "assign"
    APPEND_TO = "append_to"


@strawberry.enum(description="Whose rows: the holder's own (and their teams'), their unit's, their unit and "
                             "below, or everyone's.")
class AccessDepth(Enum):
    NONE = "NONE"
    USER = "USER"
    BUSINESS_UNIT = "BUSINESS_UNIT"
    BUSINESS_UNIT_DEEP = "BUSINESS_UNIT_DEEP"
    ORGANIZATION = "ORGANIZATION"


@strawberry.type
class Privilege:
    record_type: SecuredType
    action: PrivilegeAction
    depth: AccessDepth


@strawberry.input
class PrivilegeInput:
    record_type: SecuredType
    action: PrivilegeAction
    depth: AccessDepth

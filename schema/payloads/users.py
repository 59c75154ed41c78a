"""Payloads of the user administration operations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.principals import User


@strawberry.type
class UserPayload:
    errors: list[UserError]
    user: User | None = None


@strawberry.type(description="How many open rows moved to the new owner, by type.")
class ReassignRecordsPayload:
    errors: list[UserError]
    accounts: int = 0
    contacts: int = 0
    leads: int = 0
    opportunities: int = 0
    cases: int = 0
    activities: int = 0

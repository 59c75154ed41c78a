"""Payloads of the business unit and team operations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.principals import BusinessUnit, Team


@strawberry.type
class BusinessUnitPayload:
    errors: list[UserError]
    business_unit: BusinessUnit | None = None


@strawberry.type
class TeamPayload:
    errors: list[UserError]
    team: Team | None = None

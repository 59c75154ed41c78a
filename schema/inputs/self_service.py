"""Inputs of the self-service operations (R-AUTH-2)."""

from __future__ import annotations

import strawberry

from schema.inputs.users import WorkingPeriodInput


@strawberry.input(description="Your own details; omitted fields stay, an empty phone clears it.")
class UpdateMyProfileInput:
    business_phone: str | None = None
    mobile_phone: str | None = None
    time_zone: str | None = None
    working_hours: list[WorkingPeriodInput] | None = strawberry.field(
        default=None, description="Replaces every period; an empty list: meetings are not constrained.")


@strawberry.input
class CreateMyTokenInput:
    label: str | None = None


@strawberry.input(description="It stops working at once.")
class RevokeMyTokenInput:
    id: strawberry.ID

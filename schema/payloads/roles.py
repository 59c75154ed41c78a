"""Payloads of the security role operations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.principals import Principal, Role


@strawberry.type
class RolePayload:
    errors: list[UserError]
    role: Role | None = None


@strawberry.type
class RoleAssignmentPayload:
    errors: list[UserError]
    principal: Principal | None = None

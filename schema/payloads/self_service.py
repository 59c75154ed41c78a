"""Payloads of the self-service operations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.principals import User
from schema.types.tokens import ApiToken


@strawberry.type
class MyProfilePayload:
    errors: list[UserError]
    user: User | None = None


@strawberry.type
class CreateMyTokenPayload:
    errors: list[UserError]
    token: ApiToken | None = None
    secret: str | None = strawberry.field(
        default=None, description="The bearer token itself, shown this once: send 'Authorization: Bearer <secret>'.")


@strawberry.type
class RevokeMyTokenPayload:
    errors: list[UserError]
    revoked_id: strawberry.ID | None = None

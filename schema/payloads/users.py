"""Payloads of the user administration operations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.principals import User


@strawberry.type
class UserPayload:
    errors: list[UserError]
    user: User | None = None

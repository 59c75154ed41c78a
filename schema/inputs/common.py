"""Inputs shared by every list: ordering direction."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="A postal address.")
class AddressInput:
    line: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None

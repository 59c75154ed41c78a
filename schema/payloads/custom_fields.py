"""Payloads of the custom-field mutations."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.custom_fields import CustomFieldDefinition


@strawberry.type
class CustomFieldPayload:
    errors: list[UserError]
    field: CustomFieldDefinition | None = None

"""A signed-in user's own bearer tokens (R-AUTH-2): never their secret."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph import models
from resolvers.ids import to_global_id


@strawberry.type(description="One of your bearer tokens; its secret was shown once, when it was made.")
class ApiToken:
    id: strawberry.ID
    label: str | None
    created_on: datetime

    @classmethod
    def from_row(cls, row: models.ApiToken) -> ApiToken:
        return cls(id=strawberry.ID(to_global_id("ApiToken", row.id)), label=row.label, created_on=row.created_on)

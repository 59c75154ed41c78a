"""Users and teams: the principals that own records and activities (SPEC §1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graph import models
from resolvers.ids import to_global_id
from schema.types.node import Node


@strawberry.type
class User(Node):
    full_name: str
    email: str | None
    business_phone: str | None
    mobile_phone: str | None
    is_active: bool
    time_zone: str | None
    business_unit_name: str | None = None

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", row.id)), full_name=row.name, email=row.email,
            business_phone=row.business_phone, mobile_phone=row.mobile_phone,
            is_active=row.is_active, time_zone=row.time_zone,
        )


@strawberry.type
class Team(Node):
    name: str
    is_active: bool

    @classmethod
    def from_row(cls, row: models.Team) -> Team:
        return cls(id=strawberry.ID(to_global_id("Team", row.id)), name=row.name, is_active=row.is_active)


Principal = Annotated[User | Team, strawberry.union("Principal", description="A user or a team: who can own things.")]


def principal_node(row: models.Principal) -> User | Team:
    return User.from_row(row) if isinstance(row, models.User) else Team.from_row(row)  # type: ignore[arg-type]


@strawberry.type(description="The signed-in user, their roles and what they may do.")
class Viewer:
    user: User
    roles: list[str]
    business_unit_id: strawberry.ID
    team_ids: list[strawberry.ID]
    checked_at: datetime

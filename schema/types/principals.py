"""Users and teams: the principals that own records and activities (SPEC §1)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from graph import models
from graph.rules.access import BUILTIN_ROLES
from graph.rules.users import periods
from resolvers.context import Info, now_or_later
from resolvers.ids import to_global_id
from schema.types.node import Node
from schema.types.privileges import Privilege


@strawberry.enum(description="A day of the week; working hours are given per weekday.")
class Weekday(Enum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


@strawberry.type(description="One working period of a weekday, as clocks (HH:MM) in the user's own time zone. "
                             "Meetings outside every period are refused (R-TRACK-3).")
class WorkingPeriod:
    day: Weekday
    start: str
    end: str = strawberry.field(description="Exclusive; 24:00 is the end of the day.")


@strawberry.type(description="A business unit: records owned in it are read at unit depth (R-ADM-3).")
class BusinessUnit(Node):
    name: str
    is_active: bool
    parent_raw_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field(description="The unit above; null for the root.")
    def parent(self, info: Info) -> BusinessUnit | None:
        return now_or_later(info.context.loaders.business_unit_by_id, self.parent_raw_id)

    @classmethod
    def from_row(cls, row: models.BusinessUnit) -> BusinessUnit:
        return cls(id=strawberry.ID(to_global_id("BusinessUnit", row.id)), name=row.name,
                   is_active=row.is_active, parent_raw_id=row.parent_id)


@strawberry.type(description="A security role: what its holders may do, by record type, action and depth.")
class Role(Node):
    name: str
    built_in: bool = strawberry.field(description="Built-in roles are read-only; copy one to change it.")
    raw_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field(description="Every record type × action the role grants, with its depth.")
    def privileges(self, info: Info) -> list[Privilege]:
        return now_or_later(info.context.loaders.privileges_by_role, self.raw_id)

    @classmethod
    def from_row(cls, row: models.Role) -> Role:
        return cls(id=strawberry.ID(to_global_id("Role", row.id)), name=row.name, built_in=row.name in BUILTIN_ROLES,
                   raw_id=row.id)


@strawberry.type
class User(Node):
    full_name: str
    email: str | None
    business_phone: str | None
    mobile_phone: str | None
    is_active: bool
    time_zone: str | None
    working_hours: list[WorkingPeriod] = strawberry.field(
        description="Empty: not constrained. A weekday without a period: not working that day (R-TRACK-3).")
    business_unit_name: str | None = None
    business_unit_raw_id: strawberry.Private[uuid.UUID | None] = None
    raw_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field
    def business_unit(self, info: Info) -> BusinessUnit | None:
        return now_or_later(info.context.loaders.business_unit_by_id, self.business_unit_raw_id)

    @strawberry.field(description="The user's own roles (a team's roles apply on what the team owns).")
    def roles(self, info: Info) -> list[Role]:
        return now_or_later(info.context.loaders.roles_by_user, self.raw_id)

    @strawberry.field(description="The teams the user is a member of.")
    def teams(self, info: Info) -> list[Team]:
        return now_or_later(info.context.loaders.teams_by_user, self.raw_id)

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", row.id)), full_name=row.name, email=row.email,
            business_phone=row.business_phone, mobile_phone=row.mobile_phone,
            is_active=row.is_active, time_zone=row.time_zone,
            working_hours=[WorkingPeriod(day=Weekday(p.day), start=p.start, end=p.end)
                           for p in periods(row.working_hours)],
            business_unit_raw_id=row.business_unit_id, raw_id=row.id,
        )


@strawberry.type
class Team(Node):
    name: str
    is_active: bool
    business_unit_raw_id: strawberry.Private[uuid.UUID | None] = None
    raw_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field
    def business_unit(self, info: Info) -> BusinessUnit | None:
        return now_or_later(info.context.loaders.business_unit_by_id, self.business_unit_raw_id)

    @strawberry.field(description="The team's roles: its members have them on what the team owns (R-ADM-4).")
    def roles(self, info: Info) -> list[Role]:
        return now_or_later(info.context.loaders.roles_by_user, self.raw_id)

    @strawberry.field(description="The members, by name.")
    def members(self, info: Info) -> list[User]:
        return now_or_later(info.context.loaders.members_by_team, self.raw_id)

    @classmethod
    def from_row(cls, row: models.Team) -> Team:
        return cls(id=strawberry.ID(to_global_id("Team", row.id)), name=row.name, is_active=row.is_active,
                   business_unit_raw_id=row.business_unit_id, raw_id=row.id)


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

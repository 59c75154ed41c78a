"""Inputs of the user administration operations (R-ADM-2)."""

from __future__ import annotations

import strawberry

from schema.types.principals import Weekday


@strawberry.input(description="Narrow the users list; every field given must hold.")
class UserFilter:
    text: str | None = strawberry.field(default=None, description="Part of the name or email, any case.")
    is_active: bool | None = None
    business_unit_id: strawberry.ID | None = None
    role_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = None


@strawberry.input(description="One working period of a weekday, HH:MM in the user's time zone (end 24:00 allowed).")
class WorkingPeriodInput:
    day: Weekday
    start: str
    end: str


@strawberry.input(description="A new user. The email is unique ignoring case.")
class CreateUserInput:
    email: str
    full_name: str
    business_unit_id: strawberry.ID
    business_phone: str | None = None
    mobile_phone: str | None = None
    time_zone: str = strawberry.field(default="UTC", description="An IANA time zone, e.g. Europe/Paris.")
    working_hours: list[WorkingPeriodInput] | None = strawberry.field(
        default=None, description="Omitted or empty: meetings are not constrained by hours (R-TRACK-3).")
    role_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Change a user; omitted fields stay as they are. `roleIds` replaces every role.")
class UpdateUserInput:
    id: strawberry.ID
    email: str | None = None
    full_name: str | None = None
    business_unit_id: strawberry.ID | None = None
    business_phone: str | None = None
    mobile_phone: str | None = None
    time_zone: str | None = None
    working_hours: list[WorkingPeriodInput] | None = None
    role_ids: list[strawberry.ID] | None = None


@strawberry.input(description="Stop a user's tokens and open sessions at once; their history stays.")
class DeactivateUserInput:
    id: strawberry.ID


@strawberry.input
class ActivateUserInput:
    id: strawberry.ID


@strawberry.input(description="Give every open record and activity a user owns to another user or team.")
class ReassignRecordsInput:
    from_user_id: strawberry.ID
    to_owner_id: strawberry.ID = strawberry.field(description="A User or Team id; must be active.")

"""Inputs of the business unit and team operations (R-ADM-3, R-ADM-4)."""

from __future__ import annotations

import strawberry


@strawberry.input(description="A new unit under an active one.")
class CreateBusinessUnitInput:
    name: str
    parent_id: strawberry.ID


@strawberry.input(description="Rename, or move under another unit (never under itself or a unit below it).")
class UpdateBusinessUnitInput:
    id: strawberry.ID
    name: str | None = None
    parent_id: strawberry.ID | None = None


@strawberry.input(description="Refused while the unit has active users, teams or units.")
class DeactivateBusinessUnitInput:
    id: strawberry.ID


@strawberry.input
class ActivateBusinessUnitInput:
    id: strawberry.ID


@strawberry.input
class CreateTeamInput:
    name: str
    business_unit_id: strawberry.ID
    member_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Rename, or move to another unit: what the team owns moves with it.")
class UpdateTeamInput:
    id: strawberry.ID
    name: str | None = None
    business_unit_id: strawberry.ID | None = None


@strawberry.input
class AddTeamMembersInput:
    team_id: strawberry.ID
    user_ids: list[strawberry.ID]


@strawberry.input
class RemoveTeamMembersInput:
    team_id: strawberry.ID
    user_ids: list[strawberry.ID]

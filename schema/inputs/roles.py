"""Inputs of the security role operations (R-ADM-5)."""

from __future__ import annotations

import strawberry

from schema.types.privileges import PrivilegeInput


@strawberry.input(description="A new custom role with the privileges of an existing one.")
class CopyRoleInput:
    role_id: strawberry.ID
    name: str


@strawberry.input(description="Set each given record type × action to its depth; the others stay. Custom roles only.")
class UpdateRolePrivilegesInput:
    role_id: strawberry.ID
    privileges: list[PrivilegeInput]


@strawberry.input(description="Give roles to a user or a team (a team's roles apply to what it owns).")
class AssignRolesInput:
    principal_id: strawberry.ID
    role_ids: list[strawberry.ID]


@strawberry.input
class RemoveRolesInput:
    principal_id: strawberry.ID
    role_ids: list[strawberry.ID]

"""Inputs of the recycle-bin mutations (R-QRY-4) and of merging records (R-QRY-3)."""

from __future__ import annotations

import strawberry


@strawberry.input
class DeleteRecordsInput:
    ids: list[strawberry.ID] = strawberry.field(description="Accounts, contacts, leads, opportunities or cases.")


@strawberry.input
class DeleteActivitiesInput:
    ids: list[strawberry.ID]


@strawberry.input
class RestoreInput:
    ids: list[strawberry.ID] = strawberry.field(description="Deleted records or activities (`deletedItems`).")


@strawberry.input(description="Merge two accounts, contacts or leads (R-QRY-3); needs write rights on both.")
class MergeRecordsInput:
    survivor_id: strawberry.ID = strawberry.field(description="The record that stays.")
    other_id: strawberry.ID = strawberry.field(description="The record merged into it; it becomes INACTIVE.")
    field_choices: list[str] = strawberry.field(
        default_factory=list, description="Fields (as the create input names them: email, businessPhone, website "
                                          "…) whose value the survivor takes from the other record.")

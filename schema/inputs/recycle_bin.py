"""Inputs of the recycle-bin mutations (R-QRY-4)."""

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

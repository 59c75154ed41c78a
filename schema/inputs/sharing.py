"""Inputs of sharing (R-ADM-6)."""

from __future__ import annotations

import strawberry

from schema.types.sharing import AccessRight


@strawberry.input(description="Share one record with a user or team; replaces an earlier grant to them.")
class ShareRecordInput:
    record_id: strawberry.ID
    principal_id: strawberry.ID
    rights: list[AccessRight] = strawberry.field(default_factory=lambda: [AccessRight.READ])


@strawberry.input(description="Stop sharing; an open subscription of theirs to the record ends with ACCESS_REVOKED.")
class UnshareRecordInput:
    record_id: strawberry.ID
    principal_id: strawberry.ID

"""Payloads of the recycle-bin mutations (R-QRY-4, one result per id) and of merging records."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.records import Record


@strawberry.type(description="What happened to one id: done, or why not.")
class RecycleResult:
    id: strawberry.ID = strawberry.field(description="The id as you sent it.")
    ok: bool
    error: UserError | None = strawberry.field(default=None, description="Why not, when `ok` is false.")


@strawberry.type(description="`results` has one entry per distinct id, in the order sent; `errors` is for the "
                             "request as a whole (nothing was done).")
class RecycleBinPayload:
    errors: list[UserError]
    results: list[RecycleResult] = strawberry.field(default_factory=list)


@strawberry.type
class MergeRecordsPayload:
    errors: list[UserError]
    record: Record | None = strawberry.field(default=None, description="The survivor as it is now.")

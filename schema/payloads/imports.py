"""Payload of the import mutation (R-IMP-1)."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.imports import ImportResult


@strawberry.type(description="`errors`: the whole import was refused and nothing was written (a file that cannot "
                             "be read, a wrong mapping, no permission). Problems with single rows are in "
                             "`result.problems`.")
class ImportRecordsPayload:
    errors: list[UserError]
    result: ImportResult | None = None

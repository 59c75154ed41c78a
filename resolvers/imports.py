"""The `importRecords` mutation (R-IMP-1): the upload and arguments in, the import use case,
the result out.

Not `run_mutation`: an import commits batch by batch (graph/commands/imports.py), so it
has no single unit of work to wrap. The same rule holds: a DomainError refuses the whole
import and becomes the payload's `errors` (nothing was written then); the hooks every
mutation runs after its commit (live updates) run after each committed batch.
"""

from __future__ import annotations

from graph.commands import imports as commands
from graph.models import utcnow
from graph.rules.errors import DomainError
from resolvers.context import Info
from resolvers.ids import parse_global_id
from resolvers.inputs import decode_optional
from resolvers.notes import require_upload
from schema.errors import UserError
from schema.inputs.imports import ImportRecordsInput
from schema.payloads.imports import ImportRecordsPayload
from schema.types.imports import ImportResult


async def import_records(info: Info, input: ImportRecordsInput) -> ImportRecordsPayload:
    ctx = info.context
    scope = ctx.scope

    async def after_commit() -> None:
        for hook in ctx.after_commit:
            await hook()

    try:
        upload = require_upload(input.file, ("input", "file"))
        request = commands.ImportRequest(
            record_type=input.record_type.value, source=upload.file, file_name=getattr(upload, "filename", None),
            format=input.format.value if input.format else None,
            mapping=[(m.column, m.field) for m in input.mapping] if input.mapping is not None else None,
            dry_run=input.dry_run, parse_id=parse_global_id,
            upsert_by=input.upsert_by.value if input.upsert_by else None,
            owner_id=decode_optional(input.owner_id, {"User", "Team"}, ("input", "ownerId")),
        )
        result = await commands.import_records(ctx.db, scope, request, utcnow(), after_commit=after_commit)
    except DomainError as error:
        return ImportRecordsPayload(errors=[UserError.from_problem(p) for p in error.problems])
    return ImportRecordsPayload(errors=[], result=ImportResult.from_result(result))

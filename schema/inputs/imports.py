"""Inputs of the import mutation (R-IMP-1)."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from schema.inputs.records import UpsertKey
from schema.types.imports import ImportFormat, ImportRecordType


@strawberry.input(description="Fill `field` from `column`; `field` null ignores the column.")
class ImportColumnInput:
    column: str = strawberry.field(description="A column of the file's header row.")
    field: str | None = strawberry.field(
        default=None, description="A field of the record: the create input's names (firstName, email, "
                                  "businessPhone, addressLine, postalCode …), or `account` (contacts) and "
                                  "`parentAccount` (accounts): an account's name or id.")


@strawberry.input(
    description="Import accounts or contacts from a CSV, XLSX or XML file. Send it as a GraphQL multipart "
                "request with the header `Apollo-Require-Preflight: true`."
)
class ImportRecordsInput:
    record_type: ImportRecordType
    file: Upload
    format: ImportFormat | None = strawberry.field(
        default=None, description="Default: from the file name's extension, else from its first bytes.")
    mapping: list[ImportColumnInput] | None = strawberry.field(
        default=None, description="Overrides the automatic mapping of columns by header name.")
    dry_run: bool = strawberry.field(default=False, description="Check everything, write nothing.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A user or team. Default: you.")
    upsert_by: UpsertKey | None = strawberry.field(
        default=None, description="Update the record each row's key finds instead of reporting it a duplicate "
                                  "(R-QRY-5): EMAIL for contacts, NAME_AND_PARENT for accounts, EXTERNAL_ID for "
                                  "both. Empty cells leave fields as they are.")

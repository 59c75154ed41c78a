"""The live custom fields of record types (R-QRY-2): one statement per request, whatever
the number of records on the page."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.custom_fields import as_rule, definition_rows
from graph.rules.custom_fields import FieldDefinition

Key = str  # ACCOUNT, CONTACT, …
Result = list[FieldDefinition]


class CustomFieldsByTypeLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            rows = await definition_rows(session, keys)
        return [[as_rule(r) for r in rows if r.record_type == k] for k in keys]

"""Attachments of notes and activities, by owner id; one statement per batch.

Keys are owners the caller has already read through a scoped loader (a `Note` or an
`Activity` object exists only if the viewer may read it), so no second scope check here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.notes import attachments_by_owner
from schema.types.notes import Attachment

Key = uuid.UUID
Result = list[Attachment]


class AttachmentsByOwnerLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await attachments_by_owner(session, keys)
        return [[Attachment.from_row(a) for a in found.get(k, [])] for k in keys]

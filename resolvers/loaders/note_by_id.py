"""Notes by id, limited to what the viewer may read (None otherwise)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.notes import notes_by_id
from graph.rules.access import Scope
from schema.types.notes import Note, note_node

Key = uuid.UUID
Result = Note | None


class NoteByIdLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database, scope: Scope) -> None:
        super().__init__()
        self.db = db
        self.scope = scope

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await notes_by_id(session, self.scope, keys)
        return [note_node(found[k]) if k in found else None for k in keys]

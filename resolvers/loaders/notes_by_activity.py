"""The readable notes of each activity, newest first; one statement per batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.notes import notes_by_activity
from graph.rules.access import Scope
from schema.types.notes import Note, note_node

Key = uuid.UUID
Result = list[Note]


class NotesByActivityLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database, scope: Scope) -> None:
        super().__init__()
        self.db = db
        self.scope = scope

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await notes_by_activity(session, self.scope, keys)
        return [[note_node(n) for n in found.get(k, [])] for k in keys]

"""Sequences by id, with their steps: two statements per batch whatever its size."""

from __future__ import annotations

import uuid
from collections.abc import Sequence as Keys

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.work_list import sequences, steps_of
from schema.types.work_list import Sequence, sequence_node

Key = uuid.UUID
Result = Sequence | None


class SequenceByIdLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Keys[Key]) -> list[Result]:
        async with self.db.read() as session:
            rows = {s.id: s for s in await sequences(session, ids=keys)}
            steps = await steps_of(session, list(rows))
        return [sequence_node(rows[k], steps[k]) if k in rows else None for k in keys]

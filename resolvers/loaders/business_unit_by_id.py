"""Business units by id: a page of users' units in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.users import units_by_id
from schema.types.principals import BusinessUnit

Key = uuid.UUID
Result = BusinessUnit | None


class BusinessUnitByIdLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await units_by_id(session, keys)
        return [BusinessUnit.from_row(found[k]) if k in found else None for k in keys]

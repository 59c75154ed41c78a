"""Users and teams by id: owners, creators, modifiers, parties. One statement per batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.principals import principals_by_id
from schema.types.principals import Principal, principal_node

Key = uuid.UUID
Result = Principal | None


class PrincipalByIdLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await principals_by_id(session, keys)
        return [principal_node(found[k]) if k in found else None for k in keys]

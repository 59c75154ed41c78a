"""The own security roles of users or teams: a page of them in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.users import roles_by_principal
from schema.types.principals import Role

Key = uuid.UUID
Result = list[Role]


class RolesByUserLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await roles_by_principal(session, keys)
        return [[Role.from_row(r) for r in found.get(k, [])] for k in keys]

"""The teams a user is a member of: a page of users' teams in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.users import teams_by_user
from schema.types.principals import Team

Key = uuid.UUID
Result = list[Team]


class TeamsByUserLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await teams_by_user(session, keys)
        return [[Team.from_row(t) for t in found.get(k, [])] for k in keys]

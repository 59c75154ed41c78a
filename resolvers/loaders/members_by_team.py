"""The members of teams: a page of teams' members in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.users import members_by_team
from schema.types.principals import User

Key = uuid.UUID
Result = list[User]


class MembersByTeamLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await members_by_team(session, keys)
        return [[User.from_row(u) for u in found.get(k, [])] for k in keys]

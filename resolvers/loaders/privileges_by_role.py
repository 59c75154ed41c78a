"""The privileges of roles: every role's grants in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from graph.db import Database
from graph.queries.users import privileges_by_role
from schema.types.privileges import AccessDepth, Privilege, PrivilegeAction, SecuredType

Key = uuid.UUID
Result = list[Privilege]
KNOWN_TYPES = {t.value for t in SecuredType}


class PrivilegesByRoleLoader(DataLoader[Key, Result]):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def batch_load_fn(self, keys: Sequence[Key]) -> list[Result]:
        async with self.db.read() as session:
            found = await privileges_by_role(session, keys)
        # Configuration rights are not a record type: the system administrator role shows them by name.
        return [[Privilege(record_type=SecuredType(p.record_type), action=PrivilegeAction(p.action),
                           depth=AccessDepth(p.depth))
                 for p in found.get(k, []) if p.record_type in KNOWN_TYPES] for k in keys]

"""The set of loaders one request gets."""

from __future__ import annotations

from dataclasses import dataclass

from graph.db import Database
from graph.rules.access import Scope
from resolvers.loaders.activity_by_id import ActivityByIdLoader
from resolvers.loaders.principal_by_id import PrincipalByIdLoader
from resolvers.loaders.record_by_id import RecordByIdLoader


@dataclass
class Loaders:
    principal_by_id: PrincipalByIdLoader
    record_by_id: RecordByIdLoader
    activity_by_id: ActivityByIdLoader

    @classmethod
    def for_viewer(cls, db: Database, scope: Scope) -> Loaders:
        return cls(
            principal_by_id=PrincipalByIdLoader(db),
            record_by_id=RecordByIdLoader(db, scope),
            activity_by_id=ActivityByIdLoader(db, scope),
        )

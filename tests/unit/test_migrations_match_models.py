"""The migrations build exactly the schema the models describe.

Tests run on migrated databases (tests/support/databases.py), and so does every
deployment; a model change without its migration (an index, say) would pass the unit
tests of the code that wants it and be missing in production. Alembic's autogenerate
comparison of the migrated database with the models must find nothing to do.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from graph.db import Database
from graph.models import Base


async def test_the_migrated_schema_is_the_models_schema(db: Database) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.writer.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == []


async def test_my_activities_by_creation_time_use_their_index(db: Database) -> None:
    """R-VIEW-1 at scale: one owner's activities by `createdOn` have an index to range-scan."""
    def indexes(connection: Any) -> dict[str, list[str]]:
        from sqlalchemy import inspect

        return {i["name"]: list(i["column_names"]) for i in inspect(connection).get_indexes("activities")}

    async with db.writer.connect() as conn:
        found = await conn.run_sync(indexes)
    assert found["ix_activities_owner_id_created_on"] == ["owner_id", "created_on", "id"]

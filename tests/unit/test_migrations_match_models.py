"""The migrations build exactly the schema the models describe.

Tests run on migrated databases (tests/support/databases.py), and so does every
deployment; a model change without its migration (an index, say) would pass the unit
tests of the code that wants it and be missing in production. Alembic's autogenerate
comparison of the migrated database with the models must find nothing to do.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from graph.db import Database
from graph.models import Base


async def test_the_migrated_schema_is_the_models_schema(db: Database) -> None:
    """SQLite's reflection cannot read an index on an expression, and Alembic says so and
    leaves such indexes out; there the next test checks them instead."""
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            if connection.dialect.name == "sqlite":
                warnings.filterwarnings("ignore", ".*expression-based index")
            return list(compare_metadata(context, Base.metadata))

    async with db.writer.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == []


async def test_records_are_indexed_by_lower_cased_email(db: Database) -> None:
    """Every email look-up ignores case; an index on the column itself would be read whole."""
    def indexes(connection: Any) -> dict[str, str]:
        if connection.dialect.name == "sqlite":
            rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                           "AND tbl_name = 'records' AND sql IS NOT NULL"))
            return {name: sql for name, sql in rows}
        return {i["name"]: str(i.get("expressions") or i["column_names"]) for i in inspect(connection).get_indexes("records")}

    async with db.writer.connect() as conn:
        found = await conn.run_sync(indexes)
    assert re.search(r"lower\(\s*\"?email\"?(::text)?\s*\)", found["ix_records_email_lower"], re.IGNORECASE)
    assert "ix_records_email" not in found


async def test_my_activities_by_creation_time_use_their_index(db: Database) -> None:
    """R-VIEW-1 at scale: one owner's activities by `createdOn` have an index to range-scan."""
    def indexes(connection: Any) -> dict[str, list[str]]:
        from sqlalchemy import inspect

        return {i["name"]: list(i["column_names"]) for i in inspect(connection).get_indexes("activities")}

    async with db.writer.connect() as conn:
        found = await conn.run_sync(indexes)
    assert found["ix_activities_owner_id_created_on"] == ["owner_id", "created_on", "id"]

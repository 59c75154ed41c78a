"""Running Alembic from code: `relate migrate`, tests and the demo set-up."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent


def alembic_config(database_url: str, schema: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    if schema:
        config.attributes["schema"] = schema
    return config


def upgrade(database_url: str, schema: str | None = None, revision: str = "head") -> None:
    """Migrate to `revision`; safe to call from inside a running event loop (uses a thread)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            command.upgrade(alembic_config(database_url, schema), revision)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def head_revision() -> str:
    """The newest migration in graph/migrations/versions."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def current_revision(database_url: str, schema: str | None = None) -> str | None:
    """The revision a database is at; None for a database no migration has touched yet."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from graph.db import Database

    db = Database.connect(database_url, schema=schema)
    try:
        async with db.writer.connect() as conn:
            try:
                return await conn.scalar(text("SELECT version_num FROM alembic_version"))
            except DBAPIError:  # no alembic_version table: nothing migrated here yet
                return None
    finally:
        await db.dispose()

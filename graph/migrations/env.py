"""Alembic environment: async engines, optional PostgreSQL schema (tests use one per run)."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from graph.db import async_url
from graph.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    # `relate migrate` and the tests pass the URL in; a hand-run `alembic` reads the same
    # variable the server does (graph/ stays below server/, so not through its settings).
    url = (config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
           or os.environ.get("RELATE_DATABASE_URL") or "sqlite+aiosqlite:///./relate.db")
    return async_url(url)


def _run(connection: Connection) -> None:
    schema = config.attributes.get("schema")
    if schema:
        connection.execute(text(f'SET search_path TO "{schema}"'))
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(_run_async())

"""The real services CI runs against: PostgreSQL and a Redis broker.

Why this file exists: every PostgreSQL test is parametrised and *skips* when the database
is not configured, so a CI whose database went away would still be green. Under
RELATE_REQUIRE_SERVICES=1 (set by `.ci/run`) an unset or unreachable service fails here,
loudly; on a laptop without the services these tests skip.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from graph.db import Database

REQUIRE_SERVICES = os.environ.get("RELATE_REQUIRE_SERVICES") == "1"
TIMEOUT_SECONDS = 10.0


def _missing(message: str) -> None:
    """Fail under RELATE_REQUIRE_SERVICES=1, skip otherwise."""
    if REQUIRE_SERVICES:
        pytest.fail(f"RELATE_REQUIRE_SERVICES=1: {message}", pytrace=False)
    pytest.skip(message)


def _redis_url(broadcast_url: str) -> str | None:
    """The plain redis:// URL behind a broadcaster URL, or None for a non-Redis broker."""
    parts = urlsplit(broadcast_url)
    if parts.scheme in ("redis", "rediss"):
        return broadcast_url
    if parts.scheme == "redis-stream":
        return urlunsplit(parts._replace(scheme="redis"))
    return None


async def test_postgresql_is_reachable() -> None:
    url = os.environ.get("RELATE_TEST_DATABASE_URL")
    if not url:
        _missing("RELATE_TEST_DATABASE_URL is not set")
        return
    db = Database.connect(url, pool_size=1)
    problem: str | None = None
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            async with db.read() as session:
                answer = await session.scalar(text("SELECT 1"))
    except Exception as exc:  # refused, unknown host, auth, missing database, timeout…
        problem = f"PostgreSQL at {url} is unreachable: {type(exc).__name__}: {exc}"
    finally:
        await db.dispose()
    if problem:
        _missing(problem)
        return
    assert answer == 1


async def test_redis_broker_answers_ping() -> None:
    url = os.environ.get("RELATE_TEST_BROADCAST_URL")
    if not url:
        _missing("RELATE_TEST_BROADCAST_URL is not set")
        return
    redis_url = _redis_url(url)
    if redis_url is None:
        _missing(f"RELATE_TEST_BROADCAST_URL={url} is not a Redis URL")
        return
    client = aioredis.from_url(redis_url, socket_connect_timeout=TIMEOUT_SECONDS)
    problem: str | None = None
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            pong = await client.ping()
    except Exception as exc:  # refused, unknown host, auth, timeout…
        problem = f"Redis at {redis_url} is unreachable: {type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    if problem:
        _missing(problem)
        return
    assert pong is True

"""Operations fixtures: the app served by uvicorn on 127.0.0.1 (lifespan on: relay, webhook
worker, metrics), a client for it, and a webhook receiver on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.db import Database
from server.app import create_app
from server.settings import Settings
from tests.ops.browser import chromium_path
from tests.ops.receiver import Receiver
from tests.support.client import Api
from tests.support.databases import REQUIRE_SERVICES, test_settings
from tests.support.org import Org
from tests.support.ws import free_port, serve


def ops_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "file_store_dir": str(tmp_path / "files"), "live_poll_seconds": 0.2,
        "webhook_poll_seconds": 0.2, "webhook_backoff_base_seconds": 0.05,
        "webhook_backoff_max_seconds": 0.25, "webhook_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return test_settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return ops_settings(tmp_path)


@dataclass
class Served:
    app: Any
    base: str
    api: Api
    http: httpx.AsyncClient


Serve = Callable[..., AbstractAsyncContextManager[Served]]


@pytest.fixture
def served(db: Database, tmp_path: Path, org: Org) -> Serve:
    """Start the real app (uvicorn, lifespan on) on the test database; several may run in turn."""
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Served]:
        app = create_app(ops_settings(tmp_path, **overrides), db=db)
        async with serve(app) as ws_url:
            base = ws_url.replace("ws://", "http://").removesuffix("/graphql")
            # Generous: on a loaded machine an app's first request once took over 10 s.
            # A hung server is caught by the test's own time limit, not by this.
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                yield Served(app, base, Api(http, org.tokens), http)
    return start


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(free_port())
    await found.start()
    yield found
    await found.stop()


async def until(condition: Callable[[], Awaitable[bool] | bool], timeout: float = 20.0, step: float = 0.02) -> None:
    """Wait for a condition the code under test makes true, with a deadline."""
    async with asyncio.timeout(timeout):
        while True:
            met = condition()
            if not isinstance(met, bool):
                met = await met
            if met:
                return
            await asyncio.sleep(step)


@pytest.fixture
def browser_path() -> str:
    """Debian's Chromium; skips without it, unless RELATE_REQUIRE_SERVICES=1 (CI installs it)."""
    found = chromium_path()
    if found is None:
        if REQUIRE_SERVICES:
            pytest.fail("RELATE_REQUIRE_SERVICES=1 but no Chromium is installed (apt-get install chromium)")
        pytest.skip("no Chromium installed (apt-get install chromium)")
    return found

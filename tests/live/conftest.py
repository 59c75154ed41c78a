"""Live-update fixtures: the app served by uvicorn on 127.0.0.1 (lifespan on), a websocket
client per user, and helpers that wait for conditions with a deadline.

The poll interval is long on purpose: these tests pass only if the after-commit kick and
the doorbell deliver events, not a lucky poll.
"""

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
from tests.support.client import Api
from tests.support.databases import test_settings
from tests.support.org import Org
from subscriptions import log as outbox
from subscriptions.live import LiveUpdates
from subscriptions.relay import has_pending
from tests.support.ws import TRANSPORT_WS, GraphQLWs, serve, ws_connect

TIMELINE_SUB = """
subscription($recordId: ID!, $after: String) {
  timelineChanged(recordId: $recordId, after: $after) {
    cursor change recordId entryId
    entry {
      __typename
      ... on Activity { id subject state owner { ... on User { fullName } } }
      ... on Note { id title }
    }
  }
}
"""

RECORD_SUB = """
subscription($id: ID!, $after: String) {
  recordChanged(id: $id, after: $after) {
    cursor change changedFields record { __typename id name version }
  }
}
"""


def live_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"file_store_dir": str(tmp_path / "files"), "live_poll_seconds": 60.0,
                              "live_page_size": 3}
    values.update(overrides)
    return test_settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return live_settings(tmp_path)


@pytest.fixture
async def ws_url(app: Any) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


Connect = Callable[..., AbstractAsyncContextManager[GraphQLWs]]


@pytest.fixture
def connect(ws_url: str, org: Org) -> Connect:
    def open_as(user: str | None = "sales2", *, protocol: str = TRANSPORT_WS, **kw: Any) -> AbstractAsyncContextManager[GraphQLWs]:
        return ws_connect(ws_url, org.tokens[user] if user else None, protocol=protocol, **kw)
    return open_as


@dataclass
class Served:
    app: Any
    url: str
    api: Api


@pytest.fixture
def live_app(db: Database, tmp_path: Path, org: Org) -> Callable[..., AbstractAsyncContextManager[Served]]:
    """Serve another app on the same database with different settings, and a client for it."""
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Served]:
        app = create_app(live_settings(tmp_path, **overrides), db=db)
        transport = httpx.ASGITransport(app=app)
        async with serve(app) as url, httpx.AsyncClient(transport=transport, base_url="http://relate.test") as http:
            yield Served(app, url, Api(http, org.tokens))
    return start


async def until(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a condition the code under test will make true, with a deadline."""
    async with asyncio.timeout(timeout):
        while True:
            met = condition()
            if not isinstance(met, bool):
                met = await met
            if met:
                return
            await asyncio.sleep(0.005)


async def caught_up(live: LiveUpdates) -> bool:
    """Everything committed is stamped and fanned out by this process."""
    return not await has_pending(live.db) and live.dispatcher.position >= await outbox.head(live.db)


async def live_cursor(api: Api, as_: str = "sales2") -> str:
    return (await api("{ liveCursor }", as_=as_))["liveCursor"]


async def account_with_contact(api: Api, name: str = "Import Sports") -> tuple[str, str]:
    account = (await api.ok("createAccount", {"name": name, "acknowledgeWarnings": True}, "account { id }"))["account"]["id"]
    contact = (await api.ok("createContact", {"firstName": "Chris", "lastName": "Preston", "accountId": account,
                                              "acknowledgeWarnings": True}, "contact { id }"))["contact"]["id"]
    return account, contact


async def task_on(api: Api, regarding: str, subject: str, as_: str = "sales1", **extra: Any) -> str:
    payload = await api.ok("createTask", {"subject": subject, "regardingId": regarding, **extra}, "task { id }", as_=as_)
    return str(payload["task"]["id"])

"""recordChanged, and the websocket's own rules: token, origin, init timeout, caps (R-LIVE-1, SPEC §1)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from websockets.exceptions import InvalidStatus

from tests.live.conftest import RECORD_SUB, TIMELINE_SUB, Connect, Served, account_with_contact, live_cursor
from tests.support.client import Api
from tests.support.org import Org
from tests.support.ws import StreamEnded, ws_connect

LiveApp = Callable[..., AbstractAsyncContextManager[Served]]


async def test_record_changed_after_update_account(api: Api, connect: Connect) -> None:
    """R-LIVE-1: a record's field change is pushed with the record as it is now."""
    account, _ = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(RECORD_SUB, {"id": account, "after": after})
        await api.ok("updateAccount", {"id": account, "name": "Import Sports Ltd"}, "account { id }")
        event = (await ws.next(op))["recordChanged"]
    assert event["change"] == "CHANGED"
    assert "name" in event["changedFields"]
    assert event["record"] == {"__typename": "Account", "id": account, "name": "Import Sports Ltd", "version": 2}


async def test_no_token_is_rejected(connect: Connect) -> None:
    """SPEC §1: connection_init without a valid token closes the socket with 4403."""
    async with connect(None, init=False) as ws:
        await ws._send({"type": "connection_init", "payload": {}})
        closed = await ws.closed()
    assert closed.code == 4403
    async with connect(None, init=False) as ws:
        await ws._send({"type": "connection_init", "payload": {"authorization": "Bearer wrong"}})
        assert (await ws.closed()).code == 4403


async def test_subscribing_before_init_is_refused(connect: Connect, api: Api) -> None:
    account, _ = await account_with_contact(api)
    async with connect("sales2", init=False) as ws:
        await ws.subscribe(TIMELINE_SUB, {"recordId": account})
        assert (await ws.closed()).code == 4401


async def test_connection_init_timeout(live_app: LiveApp) -> None:
    async with live_app(ws_init_timeout_seconds=0.2) as served, ws_connect(served.url, None, init=False) as ws:
        closed = await ws.closed()
    assert closed.code == 4408


async def test_subscriptions_per_connection_are_capped(live_app: LiveApp, org: Org, api: Api) -> None:
    account, _ = await account_with_contact(api)
    async with live_app(ws_max_subscriptions=2) as served, ws_connect(served.url, org.tokens["sales2"]) as ws:
        await ws.subscribe(TIMELINE_SUB, {"recordId": account})
        await ws.subscribe(TIMELINE_SUB, {"recordId": account})
        third = await ws.subscribe(TIMELINE_SUB, {"recordId": account})
        with pytest.raises(StreamEnded) as ended:
            await ws.next(third)
    assert "limit" in ended.value.errors[0]["message"]


async def test_websocket_origin_allow_list(live_app: LiveApp, org: Org) -> None:
    """RELATE_WS_ALLOWED_ORIGINS: a browser page from another origin cannot open a socket."""
    async with live_app(ws_allowed_origins=["https://app.example"]) as served:
        url = served.url
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(url, org.tokens["sales2"], origin="https://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        async with ws_connect(url, org.tokens["sales2"], origin="https://app.example") as ws:
            assert ws is not None


async def test_a_failed_mutation_publishes_nothing(api: Api, connect: Connect) -> None:
    """R-LIVE-3: events leave only with a commit; a refused write (CONFLICT) sends none."""
    account, _ = await account_with_contact(api)
    after = await live_cursor(api)
    async with connect("sales2") as ws:
        op = await ws.subscribe(RECORD_SUB, {"id": account, "after": after})
        refused = await api.mutate("updateAccount", {"id": account, "name": "Stale", "expectedVersion": 7},
                                   "account { id }")
        assert [e["code"] for e in refused["errors"]] == ["CONFLICT"]
        await api.ok("updateAccount", {"id": account, "name": "Fresh"}, "account { id }")
        event = (await ws.next(op))["recordChanged"]
    assert event["record"]["name"] == "Fresh" and event["record"]["version"] == 2

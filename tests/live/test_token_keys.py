"""The token in `connection_init` under every key stock clients use (R-WEB-5), a refused
token's 4403 with a reason, and websocket origins following RELATE_CORS_ORIGINS (R-WEB-1)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from server.app import TOKEN_REFUSED_REASON
from tests.live.conftest import Connect, Served
from tests.support.org import Org
from tests.support.ws import ws_connect

LiveApp = Callable[..., AbstractAsyncContextManager[Served]]


def payloads(token: str) -> dict[str, dict[str, Any]]:
    return {
        "authorization": {"authorization": f"Bearer {token}"},
        "Authorization": {"Authorization": f"Bearer {token}"},
        "authToken": {"authToken": token},
        "authToken (Bearer)": {"authToken": f"Bearer {token}"},
        "token": {"token": token},
        "headers.Authorization": {"headers": {"Authorization": f"Bearer {token}"}},
        "headers.authorization": {"headers": {"authorization": f"Bearer {token}"}},
    }


@pytest.mark.parametrize("key", list(payloads("x")))
async def test_each_token_key_is_accepted(connect: Connect, org: Org, key: str) -> None:
    async with connect(None, init=False) as ws:
        ack = await ws.init(payloads(org.tokens["sales2"])[key])  # a refused token closes with 4403 instead
    assert ack["type"] == "connection_ack"


@pytest.mark.parametrize("key", list(payloads("x")))
async def test_a_wrong_token_under_each_key_closes_4403_with_a_reason(connect: Connect, key: str) -> None:
    async with connect(None, init=False) as ws:
        await ws._send({"type": "connection_init", "payload": payloads("not-a-token")[key]})
        closed = await ws.closed()
    assert closed.code == 4403
    assert closed.reason == TOKEN_REFUSED_REASON and "do not retry" in closed.reason


async def test_websocket_origins_follow_cors_origins(live_app: LiveApp, org: Org) -> None:
    async with live_app(cors_origins=["http://app.example:3000"]) as served:
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(served.url, org.tokens["sales2"], origin="http://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        async with ws_connect(served.url, org.tokens["sales2"], origin="http://app.example:3000") as ws:
            assert ws is not None

"""Live streams under bursts and stalls (issue 16): slowness is decided per subscriber by
what its socket has not taken, not by the size of a burst; a client that stops reading is
told SLOW_CONSUMER with the cursor it can resume from; malformed subscriptions get `error`
messages. Real uvicorn, real sockets; every wait is bounded, none is a sleep."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from graph.commands.activities import create_activity
from graph.db import Database
from graph.models import utcnow
from graph.queries.principals import viewer_for_token
from resolvers.ids import parse_global_id, to_global_id
from server.app import create_app
from server.logs import DropGraphQLErrors
from subscriptions.websocket import SLOW_CONSUMER_CLOSE_CODE, TOO_DEEP
from tests.live.conftest import RECORD_SUB, TIMELINE_SUB, Served, account_with_contact, live_cursor, live_settings, until
from tests.support.client import Api
from tests.support.org import Org
from tests.support.ws import LEGACY_WS, TRANSPORT_WS, GraphQLWs, SocketClosed, StreamEnded, serve, ws_connect

BURST = 500  # the most one completeActivities takes
Serve = Callable[..., AbstractAsyncContextManager[Served]]


@pytest.fixture
def served(db: Database, tmp_path: Path, org: Org) -> Serve:
    """The app on uvicorn with production-sized pages and queue, small kernel send buffers."""
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Served]:
        app = create_app(live_settings(tmp_path, live_page_size=200, live_queue_size=4096, **overrides), db=db)
        transport = httpx.ASGITransport(app=app)
        async with serve(app, send_buffer=4096) as url, \
                httpx.AsyncClient(transport=transport, base_url="http://relate.test") as http:
            yield Served(app, url, Api(http, org.tokens))
    return start


async def tasks_on(db: Database, org: Org, account: str, count: int) -> list[str]:
    """`count` open tasks of sales1 on the account, written in one transaction."""
    async with db.unit_of_work() as session:
        viewer = await viewer_for_token(session, org.tokens["sales1"])
        assert viewer is not None
        parsed = parse_global_id(account)
        assert parsed is not None
        rows = [await create_activity(session, viewer.scope, "TASK", {"subject": f"Burst {n}"}, utcnow(),
                                      regarding_id=parsed[1]) for n in range(count)]
    return [to_global_id("Task", row.id) for row in rows]


async def complete_all(api: Api, ids: list[str]) -> None:
    payload = await api.ok("completeActivities", {"ids": ids}, "results { ok }", as_="sales1")
    assert all(r["ok"] for r in payload["results"])


async def read_events(ws: GraphQLWs, op: str, count: int) -> list[dict[str, Any]]:
    """`count` events of `op`, as a client that keeps reading; StreamEnded if it is ended."""
    return [(await ws.next(op, timeout=60))["timelineChanged"] for _ in range(count)]


@asynccontextmanager
async def stalling_client(url: str, token: str, protocol: str = TRANSPORT_WS) -> AsyncIterator[GraphQLWs]:
    """A client that reads only when asked: a small receive buffer, one message queued at
    most before websockets stops reading the socket, no compression, no pings of its own."""
    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    async with ws_connect(url, token, protocol=protocol, sock=sock, max_queue=1, compression=None,
                          ping_interval=None) as ws:
        yield ws


async def everything_sent(ws: GraphQLWs) -> tuple[dict[str, list[dict[str, Any]]], int | None]:
    """Read until the server closes: the messages per operation id, and the close code."""
    by_op: dict[str, list[dict[str, Any]]] = defaultdict(list)
    try:
        while True:
            message = json.loads(await asyncio.wait_for(ws.ws.recv(), 60))
            by_op[str(message.get("id"))].append(message)
    except ConnectionClosed as closed:
        return by_op, closed.rcvd.code if closed.rcvd else None


def received(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Events, errors and other message types of one operation, in order."""
    results = [m for m in messages if m["type"] in ("next", "data")]  # graphql-ws calls them data
    events = [m["payload"]["data"]["timelineChanged"] for m in results if not m["payload"].get("errors")]
    errors = [e for m in results for e in m["payload"].get("errors") or []]
    return events, errors, [m["type"] for m in messages if m not in results]


async def test_a_burst_of_500_reaches_every_reader_and_a_client_that_stopped_is_told_slow_consumer(
        db: Database, org: Org, served: Serve) -> None:
    """One completeActivities of 500 ids, to two clients that read and two that have stopped
    (one speaking graphql-transport-ws, one the legacy graphql-ws).
    Each reader gets all 500 and is never told SLOW_CONSUMER; no subscription even falls
    back to reading the outbox (no replay storm). The stopped client's socket fills up, and
    after the send timeout each of its subscriptions gets SLOW_CONSUMER with the cursor of
    the last event written to it, then a close frame (1008); resuming from those cursors
    gives the rest, each once."""
    async with served(ws_send_timeout_seconds=3.0) as app:
        live = app.app.state.live
        account, _ = await account_with_contact(app.api)
        ids = await tasks_on(db, org, account, BURST)
        after = await live_cursor(app.api)
        async with ws_connect(app.url, org.tokens["sales2"]) as reader, \
                ws_connect(app.url, org.tokens["manager"]) as other_reader, \
                stalling_client(app.url, org.tokens["sales2"]) as stalled, \
                stalling_client(app.url, org.tokens["sales2"], LEGACY_WS) as stalled_legacy:
            reads = [(ws, await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": after}))
                     for ws in (reader, other_reader)]
            timelines = [await stalled.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
                         for _ in range(2)]
            record_op = await stalled.subscribe(RECORD_SUB, {"id": account, "after": after})
            legacy_op = await stalled_legacy.subscribe(TIMELINE_SUB, {"recordId": account, "after": after})
            await until(lambda: live.dispatcher.subscriber_count == 6)
            reading = [asyncio.ensure_future(read_events(ws, op, BURST)) for ws, op in reads]
            await complete_all(app.api, ids)
            for events in await asyncio.gather(*reading):
                assert sorted(e["entryId"] for e in events) == sorted(ids)
                assert {e["entry"]["state"] for e in events} == {"COMPLETED"}
            await until(lambda: live.slow_consumers == 2, timeout=60)
            by_op, close_code = await everything_sent(stalled)
            legacy_by_op, legacy_close_code = await everything_sent(stalled_legacy)
        assert close_code == legacy_close_code == SLOW_CONSUMER_CLOSE_CODE
        assert live.slow_consumers == 2 and live.dispatcher.fell_behind == 0

        record_events, record_errors, record_rest = received(by_op[record_op])
        assert record_events == [] and record_rest == ["complete"]
        assert [e["extensions"] for e in record_errors] == [{"code": "SLOW_CONSUMER", "cursor": after}]

        cut_short = 0
        for messages in [by_op[op] for op in timelines] + [legacy_by_op[legacy_op]]:
            events, errors, rest = received(messages)
            assert [e["extensions"]["code"] for e in errors] == ["SLOW_CONSUMER"] and rest == ["complete"]
            cursor = errors[0]["extensions"]["cursor"]
            assert cursor == (events[-1]["cursor"] if events else after)
            async with ws_connect(app.url, org.tokens["sales2"]) as again:
                resumed = await again.subscribe(TIMELINE_SUB, {"recordId": account, "after": cursor})
                rest_of_it = await read_events(again, resumed, BURST - len(events))
            assert sorted(e["entryId"] for e in events + rest_of_it) == sorted(ids)
            cut_short += len(events) < BURST
        assert cut_short >= 2  # each socket really filled up before everything was written
        await until(lambda: live.dispatcher.subscriber_count == 0)


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """ERROR records, without Strawberry's copy of every GraphQL error (dropped in production)."""
    drop = DropGraphQLErrors()
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and drop.filter(r)]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_that_does_not_parse_or_validate_gets_an_error_message(
        api: Api, connect: Any, caplog: pytest.LogCaptureFixture, protocol: str) -> None:
    account, _ = await account_with_contact(api)
    async with connect("sales2", protocol=protocol) as ws:
        for document in ("subscription { timelineChanged(", "subscription { noSuchField }",
                         "subscription A { liveCursor } subscription B { liveCursor }"):
            op = await ws.subscribe(document, {})
            with pytest.raises(StreamEnded) as ended:
                await ws.next(op)
            assert ended.value.errors and ended.value.errors[0]["message"]
        # The socket is still open for the next subscription (from a cursor: without one it
        # would start wherever the fan-out is when it registers, maybe after the task below).
        working = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": await live_cursor(api)})
        await api.ok("createTask", {"subject": "After the errors", "regardingId": account}, "task { id }", as_="sales1")
        assert (await ws.next(working))["timelineChanged"]["entry"]["subject"] == "After the errors"
    assert server_errors(caplog) == []


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_variables_nested_10000_deep_get_a_typed_error_and_the_socket_a_close_frame(
        api: Api, connect: Any, caplog: pytest.LogCaptureFixture, protocol: str) -> None:
    account, _ = await account_with_contact(api)
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    async with connect("sales2", protocol=protocol) as ws:
        await ws.ws.send('{"type":"' + start + '","id":"deep","payload":{"query":' + json.dumps(TIMELINE_SUB)
                         + ',"variables":' + deep + "}}")
        with pytest.raises(StreamEnded) as ended:
            await ws.next("deep")
        assert ended.value.codes == ["VALIDATION"]
        assert str(TOO_DEEP) in ended.value.errors[0]["message"]
        working = await ws.subscribe(TIMELINE_SUB, {"recordId": account, "after": await live_cursor(api)})
        await api.ok("createTask", {"subject": "Still open", "regardingId": account}, "task { id }", as_="sales1")
        assert (await ws.next(working))["timelineChanged"]["entry"]["subject"] == "Still open"
        # A message too deep to tell what it is: closed with a close frame, not dropped.
        await ws.ws.send("[" * 10_000)
        closed = await ws.closed()
        assert isinstance(closed, SocketClosed) and closed.code == 4400
    assert server_errors(caplog) == []

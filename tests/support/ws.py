"""A GraphQL-over-websocket test client (graphql-transport-ws, or legacy graphql-ws) on a
real socket, and a uvicorn server running the app on 127.0.0.1 in the test's event loop.

Every wait is bounded (`asyncio.wait_for`): a test fails with a timeout instead of hanging,
and never sleeps hoping an event has arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
WAIT = 10.0


class SocketClosed(AssertionError):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"websocket closed: {code} {reason}")
        self.code = code
        self.reason = reason


class StreamEnded(AssertionError):
    """The server completed the subscription; `errors` holds what it said last, if anything."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"subscription ended: {errors}")
        self.errors = errors

    @property
    def codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]


class GraphQLWs:
    """One connection; `subscribe` returns an id, `next(id)` the next payload's data."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._ids = itertools.count(1)
        self._inbox: dict[str, deque[dict[str, Any]]] = defaultdict(deque)

    async def init(self, payload: dict[str, Any] | None) -> dict[str, Any]:
        await self._send({"type": "connection_init", "payload": payload or {}})
        message = await self._receive()
        if message["type"] != "connection_ack":
            raise AssertionError(f"expected connection_ack, got {message}")
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(self._ids))
        start = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self._send({"id": op_id, "type": start, "payload": {"query": query, "variables": variables or {}}})
        return op_id

    async def stop(self, op_id: str) -> None:
        await self._send({"id": op_id, "type": "complete" if self.protocol == TRANSPORT_WS else "stop"})

    async def next(self, op_id: str, timeout: float = WAIT) -> dict[str, Any]:
        """The next result's `data`; raises StreamEnded when the server ends the stream."""
        errors: list[dict[str, Any]] = []
        while True:
            message = await self._for(op_id, timeout)
            kind = message["type"]
            if kind in ("next", "data"):
                payload = message["payload"]
                if payload.get("errors"):
                    errors = payload["errors"]
                    continue  # the server completes the stream right after
                return payload["data"]
            if kind == "error":
                payload = message["payload"]
                raise StreamEnded(payload if isinstance(payload, list) else [payload])
            if kind == "complete":
                raise StreamEnded(errors)

    async def closed(self, timeout: float = WAIT) -> SocketClosed:
        """Wait for the server to close the socket; returns the close code and reason."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            return SocketClosed(code, exc.rcvd.reason if exc.rcvd else "")

    async def _for(self, op_id: str, timeout: float) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while not self._inbox[op_id]:
                message = await self._receive(timeout)
                self._inbox[str(message.get("id"))].append(message)
            return self._inbox[op_id].popleft()

    async def _receive(self, timeout: float = WAIT) -> dict[str, Any]:
        """The next message; waits up to `timeout` (the caller's, not a shorter one of its own)."""
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout)
            except ConnectionClosed as exc:
                raise SocketClosed(exc.rcvd.code if exc.rcvd else None,
                                   exc.rcvd.reason if exc.rcvd else "") from None
            message = json.loads(raw)
            if message.get("type") == "ping":
                await self._send({"type": "pong"})
            elif message.get("type") not in ("pong", "ka"):
                return message

    async def _send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))


@asynccontextmanager
async def ws_connect(url: str, token: str | None, *, protocol: str = TRANSPORT_WS,
                     origin: str | None = None, init: bool = True, **options: Any) -> AsyncIterator[GraphQLWs]:
    """Open a websocket to `url`; with `init`, send connection_init with the token and await the ack.
    `options` go to websockets' `connect` (e.g. `sock`, `max_queue`, `compression`)."""
    async with connect(url, subprotocols=[Subprotocol(protocol)], origin=origin,  # type: ignore[arg-type]
                       open_timeout=WAIT, close_timeout=2, proxy=None, **options) as ws:
        client = GraphQLWs(ws, protocol)
        if init:
            await client.init({"authorization": f"Bearer {token}"} if token else {})
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve(app: Any, *, send_buffer: int | None = None) -> AsyncIterator[str]:
    """Run `app` (lifespan included) on 127.0.0.1 in this event loop; yields the ws URL.

    The server listens on a socket bound to port 0 here, so no port is ever guessed.
    `send_buffer` sets the kernel's send buffer of every connection accepted (SO_SNDBUF is
    inherited from the listening socket), so a client that stops reading fills it soon."""
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer is not None:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listening.bind(("127.0.0.1", 0))
    port = int(listening.getsockname()[1])
    config = uvicorn.Config(app, lifespan="on", log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]  # leave Ctrl-C to pytest
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:
                if task.done():
                    task.result()
                    raise AssertionError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        try:
            async with asyncio.timeout(WAIT):
                await task
        finally:
            listening.close()

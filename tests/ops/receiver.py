"""A webhook receiver for tests: a tiny HTTP/1.1 server on 127.0.0.1 (plain asyncio).

It records every request it answers (headers and raw body). `stop()` closes the listening
socket, so deliveries fail with "connection refused" as with a receiver that is down;
`start()` listens again on the same port. Every response says `Connection: close`, so no
kept-alive connection outlives an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    status: int = 200
    requests: list[Received] = field(default_factory=list)
    rejected: int = 0  # requests answered with `status` >= 300
    _server: asyncio.Server | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        """Wait until `condition(requests)` holds, woken by each request (no fixed sleeps)."""
        async with asyncio.timeout(timeout):
            while not condition(self.requests):
                self._arrived.clear()
                await self._arrived.wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = self.status
            if status < 300:
                self.requests.append(Received(method, path, headers, body))
            else:
                self.rejected += 1
            reason = b"OK" if status < 300 else b"Unavailable"
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok" % (status, reason))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self._arrived.set()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

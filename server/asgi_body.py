"""Request-body helpers shared by the ASGI guards in front of /graphql.

Both the request limits and the upload guard must stop a body that grows past a cap
while it streams (a declared Content-Length can lie or be absent), and answer 413 only
if no response has started yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value)
    return None


async def call_with_body_cap(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, limit: int,
    too_large: Callable[[Send], Awaitable[None]],
) -> None:
    """Run `app`, refusing with `too_large` once more than `limit` body bytes arrive."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        await too_large(send)
        return
    received = 0
    started = False

    async def counted_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge()
        return message

    async def tracked_send(message: Message) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, counted_receive, tracked_send)
    except BodyTooLarge:
        if started:
            raise
        await too_large(send)


async def read_body(scope: Scope, receive: Receive, limit: int | None) -> bytes:
    """The whole request body; `BodyTooLarge` once it (or its declared length) passes `limit`."""
    declared = header(scope, b"content-length")
    if limit is not None and declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: what arrived is all there is
        chunk = message.get("body", b"")
        received += len(chunk)
        if limit is not None and received > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive | None) -> Receive:
    """A `receive` that hands the app the body already read, then listens for a disconnect:
    on the real `receive`, or (None: an operation of a batch, with no connection of its
    own) a disconnect at once."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if receive is not None:
            return await receive()
        return {"type": "http.disconnect"}

    return replayed

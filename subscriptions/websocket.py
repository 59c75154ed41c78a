"""The GraphQL websocket (both protocols) when the client misbehaves or stops reading.

Strawberry's handler is kept; what changes is how it meets three kinds of trouble:

- **A client that stops reading.** Whether a subscriber is too slow is decided here, by
  what its socket has not taken, never by how many events a burst produced. uvicorn stops
  accepting a message while the connection's write buffer is above its high-water mark,
  so a message that waits longer than `RELATE_WS_SEND_TIMEOUT_SECONDS` means the client
  has left that much unread. The connection is then cut off: every subscription on it
  ends with `SLOW_CONSUMER` and the cursor of the last event actually written to the
  socket (subscriptions/delivery.py), the socket is closed with 1008, and the client
  resumes from those cursors without a gap or a repeat. The final messages queue behind
  the unread data, so a client that starts reading again finds them; one that never does
  is given LAST_WORDS_SECONDS before the server lets the connection go.
- **A document that does not parse or validate.** It gets an `error` message for its
  operation (as the protocol describes), not a closed socket or a bare `complete`.
- **A message nested deeper than the server decodes.** Its `subscribe` gets an `error`
  message with code VALIDATION; anything else is closed with 4400, a close frame always.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.schema.schema import StreamResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from graph.rules.errors import ErrorCode
from schema.build import masked
from subscriptions import delivery
from subscriptions.delivery import Progress
from subscriptions.render_once import RenderedPage
from subscriptions.streams import SlowConsumer

log = logging.getLogger("relate.live.websocket")

SLOW_CONSUMER_CLOSE_CODE = 1008
# How long a cut-off client has to read its SLOW_CONSUMER messages and the close frame
# (at least; the send timeout if that is longer) before the server lets the connection go.
LAST_WORDS_SECONDS = 30.0
# orjson refuses to decode JSON nested more than 1024 levels; past this, a message that
# does not decode is refused as too deep rather than as malformed.
TOO_DEEP = 1000
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_COLON = re.compile(r"\s*:\s*")


class Stalled(Exception):
    """The socket did not take a message within the send timeout: its client is not reading."""


@dataclass(frozen=True)
class TooDeep:
    """A message nested too deeply to decode; its top-level `id` and `type`, if readable."""

    id: object
    type: object


def outline(text: str) -> tuple[int, dict[str, object]]:
    """How deep `text` nests, and its top-level string fields, without decoding the rest.

    Linear in the text, without recursion, so any depth is measured safely."""
    depth = deepest = 0
    fields: dict[str, object] = {}
    key: str | None = None
    value_at = -1
    for token in _TOKEN.finditer(text):
        kind = token.group()
        if kind in "[{":
            depth += 1
            deepest = max(deepest, depth)
            key = None
        elif kind in "]}":
            depth -= 1
            key = None
        elif depth == 1:
            if key is not None and token.start() == value_at:
                with suppress(ValueError):
                    fields[key] = json.loads(kind)
                key = None
            elif colon := _COLON.match(text, token.end()):
                with suppress(ValueError):
                    key, value_at = json.loads(kind), colon.end()
    return deepest, fields


def decode_message(text: str) -> object:
    """The message, or TooDeep; raises ValueError for anything else that is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        deepest, fields = outline(text)
        if deepest > TOO_DEEP:
            return TooDeep(fields.get("id"), fields.get("type"))
        raise


class LiveWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's websocket adapter with a bounded send and a reader that can be stopped."""

    def __init__(self, view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any], request: WebSocket,
                 response: WebSocket) -> None:
        super().__init__(view, request, response)
        self.send_timeout: float = view.settings.ws_send_timeout_seconds  # type: ignore[attr-defined]
        self.stalled = False
        self.on_stall: Callable[[], None] = lambda: None
        self._in_order = asyncio.Lock()  # one message at a time, so a timeout means one stuck message
        self._finished = asyncio.Event()

    async def send_json(self, message: Mapping[str, object]) -> None:
        """Send, or raise Stalled if the socket has not taken it within the send timeout."""
        if self.stalled:
            raise Stalled()
        async with self._in_order:
            if self.stalled:
                raise Stalled()
            try:
                async with asyncio.timeout(self.send_timeout):
                    await self._send_encoded(message)
            except TimeoutError:
                self.stalled = True
                self.on_stall()
                raise Stalled() from None

    async def _send_encoded(self, message: Mapping[str, object]) -> None:
        """A live event's result is encoded once for every socket it goes to (render_once.py)."""
        live = getattr(getattr(self.view, "app_state", None), "live", None)
        text = live.encoded.message(message) if live is not None else None
        if text is None:
            await super().send_json(message)
            return
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def send_last(self, message: Mapping[str, object]) -> None:
        """A message after the stall, behind everything unread; the caller bounds the wait."""
        async with self._in_order:
            await super().send_json(message)

    async def close(self, code: int, reason: str) -> None:
        async with self._in_order:
            await super().close(code, reason)

    def finish(self) -> None:
        """Stop reading: the connection is over even if the client never closes it."""
        self._finished.set()

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        finished = asyncio.ensure_future(self._finished.wait())
        receiving: asyncio.Future[str] | None = None
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                receiving = asyncio.ensure_future(self.ws.receive_text())
                await asyncio.wait({receiving, finished}, return_when=asyncio.FIRST_COMPLETED)
                if not receiving.done():
                    return
                text = receiving.result()
                try:
                    message = decode_message(text)
                except ValueError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
                    continue
                yield message
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass
        finally:
            for waiting in (finished, receiving):
                if waiting is not None and not waiting.done():
                    waiting.cancel()


class CutsOffSlowConsumers:
    """What both protocols' handlers do when their socket stalls (see the module's doc).

    The handler keeps one Progress per running operation, made current in the operation's
    task; on a stall it stops every operation, then sends each its SLOW_CONSUMER (as the
    protocol's result message, then `complete`) and closes, within LAST_WORDS_SECONDS."""

    websocket: LiveWebSocketAdapter
    view: Any
    result_type: str  # the protocol's name for a result message

    def _watch_for_stalls(self) -> None:
        self.progress: dict[str, Progress] = {}
        self.cutting_off: asyncio.Task[None] | None = None
        self.websocket.on_stall = self._stalled

    def _running(self) -> dict[str, asyncio.Task[Any] | None]:
        raise NotImplementedError

    @contextlib.contextmanager
    def _tracking(self, op_id: str) -> Iterator[None]:
        """Around an operation's task: its stream reports to this operation's progress."""
        progress = self.progress[op_id] = Progress(splits_pages=True)
        delivery.track(progress)
        try:
            yield
        finally:
            if self.progress.get(op_id) is progress:
                del self.progress[op_id]

    async def _send(self, message: Mapping[str, Any]) -> None:
        payload = message.get("payload")
        if (message["type"] == self.result_type and isinstance(payload, dict)
                and isinstance(payload.get("data"), RenderedPage)):
            await self._send_page(message, payload["data"])
            return
        try:
            await self.websocket.send_json(message)
        except (Stalled, WebSocketDisconnected):
            if message["type"] == self.result_type:
                raise  # ends the operation's stream
            # A pong, an ack, a complete: after a stall the cut-off says what the client
            # needs; after a disconnection there is nobody to tell.
            return
        if message["type"] == self.result_type and (progress := self.progress.get(str(message["id"]))):
            progress.message_written()

    async def _send_page(self, message: Mapping[str, Any], page: RenderedPage) -> None:
        """One message per event of a rendered page, in order, each announced to the
        operation's progress before it is sent and counted once written (render_once.py)."""
        op_id = str(message["id"])
        extensions = message["payload"].get("extensions")
        live = getattr(getattr(self.view, "app_state", None), "live", None)
        if live is not None:
            live.pages_sent += 1
        progress = self.progress.get(op_id)
        for seq, result in zip(page.seqs, page.results, strict=True):
            if progress is not None:
                progress.handing_over(seq)
            event: dict[str, Any] = {"data": result.data}
            if result.errors:
                event["errors"] = [error.formatted for error in masked(result.errors)]
            if extensions:
                event["extensions"] = extensions
            await self.websocket.send_json({"id": op_id, "type": self.result_type, "payload": event})
            if progress is not None:
                progress.message_written()

    def _stalled(self) -> None:
        if self.cutting_off is not None:
            return
        running = self._running()
        operations = [(op_id, self.progress.get(op_id)) for op_id in running]
        tasks = [task for task in running.values() if task is not None and task is not asyncio.current_task()]
        self.cutting_off = asyncio.create_task(self._cut_off(operations, tasks))

    async def _cut_off(self, operations: list[tuple[str, Progress | None]], tasks: list[asyncio.Task[Any]]) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # their streams unsubscribe
        live = getattr(getattr(self.view, "app_state", None), "live", None)
        if live is not None:
            live.slow_consumers += 1
        log.info("websocket cut off as a slow consumer (%d subscriptions)", len(operations))
        try:
            async with asyncio.timeout(max(self.websocket.send_timeout, LAST_WORDS_SECONDS)):
                for op_id, progress in operations:
                    error = SlowConsumer(progress.written if progress is not None else None)
                    await self.websocket.send_last({"id": op_id, "type": self.result_type,
                                                    "payload": {"data": None, "errors": [error.formatted]}})
                    await self.websocket.send_last({"id": op_id, "type": "complete"})
                await self.websocket.close(SLOW_CONSUMER_CLOSE_CODE, "SLOW_CONSUMER")
        except (TimeoutError, WebSocketDisconnected, RuntimeError):
            log.info("a slow consumer did not read its last messages; connection dropped")
        finally:
            self.websocket.finish()

    async def _finish_cut_off(self) -> None:
        if self.cutting_off is not None:
            with suppress(Exception):
                await self.cutting_off


class LiveTransportWSHandler(CutsOffSlowConsumers, BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with typed refusals and slow consumers cut off with their cursors."""

    result_type = "next"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch_for_stalls()

    def _running(self) -> dict[str, asyncio.Task[Any] | None]:
        return {op_id: op.task for op_id, op in self.operations.items()}

    async def handle_message(self, message: Message) -> None:
        if isinstance(message, TooDeep):
            await self._refuse_too_deep(message)
            return
        await super().handle_message(message)

    async def _refuse_too_deep(self, message: TooDeep) -> None:
        op_id = message.id
        if (message.type == "subscribe" and isinstance(op_id, str) and self.connection_acknowledged
                and op_id not in self.operations):
            await self.send_message({"id": op_id, "type": "error", "payload": [too_deep_error().formatted]})
        else:
            await self.websocket.close(code=4400, reason=f"message nested more than {TOO_DEEP} levels deep")

    async def handle_subscribe(self, message: Any) -> None:
        if not self.websocket.stalled:  # being cut off: a new operation could not be told anything
            await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        with self._tracking(operation.id):
            await super().run_operation(operation)

    async def _send_result_stream(self, operation: Operation[Any, Any], result_source: StreamResult) -> None:
        try:
            await super()._send_result_stream(operation, result_source)
        except (Stalled, WebSocketDisconnected):
            return  # the cut-off tells the client, with this operation's cursor; or it has gone
        except GraphQLError as error:
            # Raised before any result: a document the parser cache could not parse.
            await operation.send_initial_errors([error])

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        """Errors before execution (syntax, validation, no such operation) are `error`
        messages for their operation; the socket stays open for the others."""
        return None

    async def send_message(self, message: Message) -> None:
        await self._send(message)

    async def shutdown(self) -> None:
        await super().shutdown()
        await self._finish_cut_off()


class LiveLegacyWSHandler(CutsOffSlowConsumers, BaseGraphQLWSHandler[Any, Any]):
    """The legacy graphql-ws protocol, with the same refusals and cut-off (results are `data`)."""

    result_type = "data"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch_for_stalls()

    def _running(self) -> dict[str, asyncio.Task[Any] | None]:
        return dict(self.tasks)

    async def handle_message(self, message: Any) -> None:
        if isinstance(message, TooDeep):
            if message.type == "start" and isinstance(message.id, str):
                await self.send_message({"id": message.id, "type": "error", "payload": too_deep_error().formatted})
            else:
                await self.websocket.close(code=4400, reason=f"message nested more than {TOO_DEEP} levels deep")
            return
        await super().handle_message(message)

    async def handle_start(self, message: Any) -> None:
        if not self.websocket.stalled:
            await super().handle_start(message)

    async def handle_async_results(self, operation_id: str, query: str, operation_name: str | None,
                                   variables: dict[str, object] | None) -> None:
        with self._tracking(operation_id):
            try:
                await super().handle_async_results(operation_id, query, operation_name, variables)
            except (Stalled, WebSocketDisconnected):
                return
            except GraphQLError as error:  # a document the parser cache could not parse
                await self.send_message({"id": operation_id, "type": "error", "payload": error.formatted})

    async def send_message(self, message: Any) -> None:
        await self._send(message)

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._finish_cut_off()


def too_deep_error() -> GraphQLError:
    return GraphQLError(f"this message is nested more than {TOO_DEEP} levels deep",
                        extensions={"code": ErrorCode.VALIDATION.value})

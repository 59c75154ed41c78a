"""Render each live event once per (topic, selection document, visibility class), not per socket.

Before, every subscriber of a topic loaded the changed object with its own loaders and
ran its own GraphQL execution of the selection for every event: 100 sockets on a hot
account meant 100 look-ups and 100 executions of the same answer (issue 22: 3–5 ms of CPU
per delivery). Now:

- `ClassViews` loads what a batch of events shows once per visibility class
  (graph.rules.access.visibility_key: viewers who read exactly the same rows), with one set
  of loaders built for the first subscriber of that class; the others of the class await
  the same future. A class that may not read an entry gets None for it, so the permission
  check is shared too, and cannot leak: a class is never wider than each of its members.
- The subscription resolver yields a `SharedEvent` carrying that key; `RenderOnceExecutor`
  (the schema's executor) runs the selection for the first subscriber with that key,
  document and variables, and hands every other one the same result.

- A batch of several events (a replay page, a burst) is yielded as one `SharedPage` when
  the socket can split it (subscriptions/websocket.py): its events are rendered together,
  concurrently, so nested look-ups of the whole page share one loader batch (one statement
  per kind of row for the page), and the result, a `RenderedPage`, goes to the socket as
  one message per event without passing through Strawberry's per-result machinery
  (extension hooks, result conversion, the protocol's message building) once per event.
  When the document allows, the page is built by one projection pass instead of one
  graphql-core execution per event (subscriptions/page_projection.py).

Anything else (queries, mutations, subscriptions that yield plain objects) executes as
before. Both caches are small LRUs: entries are needed only while one event is fanned out
(or one replay page is read by several subscribers at once).
"""

from __future__ import annotations

import asyncio
import inspect
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
from graphql import ExecutionResult, GraphQLObjectType
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, collect_subfields
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from subscriptions.page_projection import Plans

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """At most one computation per key at a time, its result shared; the newest `size` kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.computed = 0  # how many times a result was actually computed (tests, metrics)
        self.shared = 0  # how many times a computed result was reused
        self._futures: OrderedDict[Hashable, asyncio.Future[T]] = OrderedDict()

    def get(self, key: Hashable) -> asyncio.Future[T] | None:
        future = self._futures.get(key)
        if future is not None:
            self.shared += 1
        return future

    def start(self, key: Hashable) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._futures[key] = future
        self.computed += 1
        while len(self._futures) > self.size:
            self._futures.popitem(last=False)
        return future

    def forget(self, key: Hashable, future: asyncio.Future[T]) -> None:
        if self._futures.get(key) is future:
            del self._futures[key]

    async def run(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        future = self.get(key)
        if future is not None:
            return await self.wait(key, future, compute)
        return await self.fill(key, self.start(key), compute)

    async def wait(self, key: Hashable, future: asyncio.Future[T], compute: Callable[[], Awaitable[T]]) -> T:
        """The shared result; computed here after all if whoever was computing it was
        cancelled (its socket went away), so one subscriber leaving never ends another."""
        if future.done() and not future.cancelled():
            return future.result()  # most of a class comes after the render: no shield needed
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not future.cancelled() or (task is not None and task.cancelling()):
                raise
        return await self.run(key, compute)

    async def fill(self, key: Hashable, future: asyncio.Future[T], compute: Callable[[], Awaitable[T]]) -> T:
        """Compute the value of a future `start` made (synchronously, so no twin starts)."""
        try:
            value = await compute()
        except BaseException as error:
            # Nobody may reuse a failure (a cancelled first subscriber must not fail the others).
            self.forget(key, future)
            if isinstance(error, Exception):
                future.set_exception(error)
                future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            else:
                future.cancel()
            raise
        future.set_result(value)
        return value


@dataclass(frozen=True, slots=True)
class SharedEvent:
    """What a subscription resolver yields when its event may be rendered once for many.

    `key` names the event and the visibility class; `value` is the event object the
    selection runs on; `loaders` were built for that class (nested fields read them)."""

    key: Hashable
    value: Any
    loaders: Any
    renders: SingleFlight[Any]


@dataclass(frozen=True, slots=True)
class SharedPage:
    """Several events of one batch, in seq order, to be rendered and sent together.

    Only yielded to a socket that splits the `RenderedPage` back into one message per
    event (delivery.Progress.splits_pages); `seqs` say which event each message carries,
    so the cursor of the last one written stays exact (delivery.py)."""

    seqs: tuple[int, ...]
    events: tuple[SharedEvent, ...]
    plans: Plans | None = None  # rendered by projection when its document allows (page_projection.py)


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """The `data` of a rendered `SharedPage`: each event's own result, in order."""

    seqs: tuple[int, ...]
    results: tuple[ExecutionResult, ...]


class RenderOnceExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, rendering a `SharedEvent` once per document and variables."""

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        shared = self.root_value
        if isinstance(shared, SharedPage):
            return self._render_page(shared, args, kwargs)
        if not isinstance(shared, SharedEvent):
            return super().execute_operation(*args, **kwargs)
        key = (shared.key, _document_key(self.operation), _variables_key(self.variable_values))
        self.root_value = shared.value
        run = super().execute_operation

        def compute() -> Awaitable[Any]:
            self.context_value.use_loaders(shared.loaders)
            return _awaited(run(*args, **kwargs))

        future = shared.renders.get(key)
        if future is not None:
            return shared.renders.wait(key, future, compute)
        return shared.renders.fill(key, shared.renders.start(key), compute)

    def collect_subfields(self, return_type: GraphQLObjectType,
                          field_details_list: FieldDetailsList) -> CollectedFields:
        """graphql-core's memo of sub-selections, keyed by the field nodes themselves.

        graphql-core keys it by the identity of the list of field details, which the root
        selection rebuilds for every event; and a subscription's per-event executors share
        the memo (shallow copies). So each event missed it, collected every sub-selection
        again, and left two entries behind: a subscription's memo grew with every event it
        delivered. The nodes (and the other parts of a detail) are the document's, the same
        for every event, so here each sub-selection is collected once per subscription. The
        entry keeps the list, so no id in its key can be reused while it is kept."""
        memo = self._relevant_sub_fields
        key = (return_type, *((id(d.node), id(d.defer_usage), id(d.fragment_variable_values))
                              for d in field_details_list))
        cached = memo.get(key)  # type: ignore[call-overload]
        if cached is not None:
            return cached[1]
        if len(memo) >= 1024:  # a bound, whatever a document holds
            memo.clear()
        collected = collect_subfields(self.schema, self.fragments, self.variable_values, self.operation,
                                      return_type, field_details_list, self.hide_suggestions)
        memo[key] = (field_details_list, collected)  # type: ignore[index]
        return collected

    async def _render_page(self, page: SharedPage, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ExecutionResult:
        """Every event of the page rendered at once (each with its own errors, each shared
        with the other subscribers of its class as a single event would be): by projection
        when the document allows, else executed by graphql-core."""
        results = await self._project_page(page)
        if results is None:
            renders = [_awaited(self.build_per_event_executor(event).execute_operation(*args, **kwargs))
                       for event in page.events]
            results = list(await asyncio.gather(*renders))
        return ExecutionResult(RenderedPage(page.seqs, tuple(results)), None)  # type: ignore[arg-type]

    async def _project_page(self, page: SharedPage) -> list[ExecutionResult] | None:
        """The page's results by one projection pass (page_projection.py); None: execute
        instead. Each event's result is shared with its class as `execute_operation` shares
        it: the events nobody is rendering are claimed before the first await, so the other
        subscribers of the class wait for this render rather than make their own."""
        plans = page.plans
        if plans is None or not page.events:
            return None
        loaders, renders = page.events[0].loaders, page.events[0].renders
        if any(event.loaders is not loaders or event.renders is not renders for event in page.events):
            return None
        document = (_document_key(self.operation), _variables_key(self.variable_values))
        plan = plans.get(document, self)
        if plan is None:
            plans.fell_back += 1
            return None
        keys = [(event.key, *document) for event in page.events]
        futures: list[asyncio.Future[Any]] = []
        mine: list[int] = []
        for index, key in enumerate(keys):
            future = renders.get(key)
            if future is None:
                future = renders.start(key)
                mine.append(index)
            futures.append(future)
        try:
            if mine:
                self.context_value.use_loaders(loaders)
                data = await plan.render([page.events[index].value for index in mine], self.context_value)
                for index, rendered in zip(mine, data, strict=True):
                    futures[index].set_result(ExecutionResult(rendered, None))
        except BaseException as error:
            for index in mine:  # nobody may reuse them: whoever waits renders for itself
                renders.forget(keys[index], futures[index])
                futures[index].cancel()
            if not isinstance(error, Exception):
                raise
            plans.fell_back += 1  # Abandoned, or a resolver failed: graphql-core gives the errors
            return None
        others = await asyncio.gather(*(asyncio.shield(f) for f in futures), return_exceptions=True)
        if any(isinstance(result, BaseException) for result in others):
            return None  # another socket's render failed or went away: execute as it would
        plans.projected += 1
        return list(others)  # type: ignore[arg-type]


async def _awaited(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _document_key(operation: Any) -> Hashable:
    loc = operation.loc
    name = operation.name.value if operation.name else None
    return (loc.source.body, name) if loc is not None else (id(operation), name)


_variables_keys: OrderedDict[int, tuple[Any, bytes]] = OrderedDict()


def _variables_key(variables: Any) -> bytes:
    """The coerced values (graphql-core 3.3 keeps them next to where each came from).

    Every event of a subscription is executed with the same variables object (the per-event
    executors are copies of the subscription's), so its key is worked out once per
    subscription, not once per delivery (the entry holds the object: its id is not reused)."""
    known = _variables_keys.get(id(variables))
    if known is not None and known[0] is variables:
        return known[1]
    values = getattr(variables, "coerced", variables)
    key = orjson.dumps(values or {}, option=orjson.OPT_SORT_KEYS, default=str)
    _variables_keys[id(variables)] = (variables, key)
    while len(_variables_keys) > 4096:
        _variables_keys.popitem(last=False)
    return key


class EncodedOnce:
    """The JSON of a result's `data`, encoded once for every socket it goes to.

    Subscribers of one (event, document, variables, class) share the very `data` object the
    render produced (RenderOnceExecutor), so its encoding is keyed by that object's identity
    (the entry holds the object, so the identity cannot be reused while it is kept). Each
    socket then only splices its operation id around the shared text. The newest `size` kept.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.encoded = 0
        self.shared = 0
        self._texts: OrderedDict[int, tuple[object, str]] = OrderedDict()

    def data_json(self, data: object) -> str:
        known = self._texts.get(id(data))
        if known is not None and known[0] is data:
            self.shared += 1
            return known[1]
        text = orjson.dumps(data).decode()
        self.encoded += 1
        self._texts[id(data)] = (data, text)
        while len(self._texts) > self.size:
            self._texts.popitem(last=False)
        return text

    def result_text(self, op_id: object, kind: str, data: object) -> str:
        """The text of a result message carrying only `data` (a dict)."""
        return f'{{"id":{orjson.dumps(op_id).decode()},"type":"{kind}","payload":{{"data":{self.data_json(data)}}}}}'

    def message(self, message: Mapping[str, Any]) -> str | None:
        """The whole text of a result message carrying only `data`; None for any other."""
        payload = message.get("payload")
        if (message.get("type") not in ("next", "data") or not isinstance(payload, dict)
                or payload.keys() != {"data"} or not isinstance(payload["data"], dict)):
            return None
        return self.result_text(message.get("id"), message["type"], payload["data"])
